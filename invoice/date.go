package invoice

import (
	"fmt"
	"time"
)

// Date is a calendar date without time or zone, as every EN 16931 date is. The zero value
// means the date is absent.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{y, m, d} }

// IsZero reports whether the date is absent.
func (d Date) IsZero() bool { return d == Date{} }

// ISO formats the date as YYYY-MM-DD (UBL).
func (d Date) ISO() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// Compact formats the date as YYYYMMDD (CII format 102).
func (d Date) Compact() string { return fmt.Sprintf("%04d%02d%02d", d.Year, int(d.Month), d.Day) }

// String is the ISO form, or "" for an absent date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.ISO()
}

// Before reports whether d is strictly before e.
func (d Date) Before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// ParseDate reads a date written in the Go reference layout (for example "2006-01-02",
// "20060102" or "02/01/2006"); it refuses impossible dates such as 31/02.
func ParseDate(layout, s string) (Date, error) {
	t, err := time.Parse(layout, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q does not match layout %q", s, layout)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}
