package forum

import (
	"math"
	"time"
)

// Keyset pages: what a page's rows must sort below. A statement written "id < $n" rather than
// "($n = 0 OR id < $n)" descends its index to the cursor under any plan, so the start of a list
// is given as a bound above every row instead of a special case in SQL.

// newestKeyTime is later than anything stored: the time part of the key above every row.
var newestKeyTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// pageBefore is an id cursor (0: the start of the list) as the bound a page's ids must be below.
// Under a generic plan the OR form filtered every row down to the cursor, a cost that grew with
// the depth of the page (18 ms 18,500 notifications deep, and rising).
func pageBefore(cursor int64) int64 {
	if cursor == 0 {
		return math.MaxInt64
	}
	return cursor
}
