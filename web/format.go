package web

import (
	"time"
)

// Dates are shown in UTC with the month spelled out, so no reader misreads 03/04.
func formatDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

func formatDateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") }

// isoTime is the machine-readable value of a <time> element.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func formatOptionalDateTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return formatDateTime(*t)
}
