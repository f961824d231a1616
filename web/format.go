package web

import (
	"strconv"
	"time"
)

// Dates are shown in UTC with the month spelled out, so no reader misreads 03/04.
func formatDate(t time.Time) string { return t.UTC().Format("2 January 2006") }

func formatDateTime(t time.Time) string { return string(appendDateTime(nil, t)) }

// shortMonths are the months as the layout "Jan" spells them.
var shortMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// appendDateTime appends what time.Format("2 Jan 2006, 15:04 UTC") gives for t in UTC. A thread
// page shows one per post, and the layout interpreter was the largest part of rendering a post
// after its own HTML (BENCHMARKS.md, read path, eleventh session); TestDateTimeMatchesTheLayout
// holds it to the layout.
func appendDateTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, _ := t.Clock()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2 Jan 2006, 15:04 UTC")
	}
	b = strconv.AppendInt(b, int64(day), 10)
	b = append(b, ' ')
	b = append(b, shortMonths[month-1]...)
	b = append(b, ' ')
	b = appendDigits(b, year, 4)
	b = append(b, ", "...)
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	return append(b, " UTC"...)
}

// appendDigits appends n (0 <= n < 10^width) with leading zeros to width digits.
func appendDigits(b []byte, n, width int) []byte {
	var d [4]byte
	for i := width - 1; i >= 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, d[:width]...)
}

// isoTime is the machine-readable value of a <time> element.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func formatOptionalDateTime(t *time.Time, none string) string {
	if t == nil {
		return none
	}
	return formatDateTime(*t)
}

// formatCount writes a count with its thousands grouped, as the admin figures show them:
// 10,000,000 reads at a glance where 10000000 does not.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	digits := len(s)
	if n < 0 {
		digits--
	}
	if digits <= 3 {
		return s
	}
	b := make([]byte, 0, len(s)+digits/3)
	lead := len(s) - digits // the sign, if any
	b = append(b, s[:lead]...)
	for i := lead; i < len(s); i++ {
		if i > lead && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return string(b)
}
