package fwlog

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		ts   string
		want time.Time
		ok   bool
	}{
		{"Mar 11 20:35:11", time.Date(2026, 3, 11, 20, 35, 11, 0, time.UTC), true},
		{"Mar  1 20:35:11", time.Date(2026, 3, 1, 20, 35, 11, 0, time.UTC), true},
		{"Mar 07 05:09:30.123456", time.Date(2026, 3, 7, 5, 9, 30, 123456000, time.UTC), true},
		// Later today in UTC terms (a host east of Greenwich): same year.
		{"Mar 15 23:00:00", time.Date(2026, 3, 15, 23, 0, 0, 0, time.UTC), true},
		// More than a day ahead: last year.
		{"Dec 31 23:59:59", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), true},
		{"Mar 17 00:00:00", time.Date(2025, 3, 17, 0, 0, 0, 0, time.UTC), true},
		// 29 February: the latest leap year not in the future.
		{"Feb 29 10:00:00", time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC), true},
		{"2015-03-07T05:09:30.045015+02:00", time.Date(2015, 3, 7, 5, 9, 30, 45015000, time.FixedZone("", 7200)), true},
		{"2015-03-07T05:09:30+0200", time.Date(2015, 3, 7, 3, 9, 30, 0, time.UTC), true},
		{"2015-03-07T05:09:30-01:30", time.Date(2015, 3, 7, 6, 39, 30, 0, time.UTC), true},
		{"2015-03-07T05:09:30Z", time.Date(2015, 3, 7, 5, 9, 30, 0, time.UTC), true},
		{"2015-03-07T05:09:30", time.Date(2015, 3, 7, 5, 9, 30, 0, time.UTC), true},
		{"", time.Time{}, false},
		{"Foo 11 20:35:11", time.Time{}, false},
		{"Mar 32 20:35:11", time.Time{}, false},
		{"Mar 11 24:35:11", time.Time{}, false},
		{"Mar 11 20:35:11 x", time.Time{}, false},
		{"2015-13-07T05:09:30Z", time.Time{}, false},
		{"2015-02-30T05:09:30Z", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseTime([]byte(tt.ts), now)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", tt.ts, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseTimeNoAllocs(t *testing.T) {
	ts := []byte("Mar 11 20:35:11")
	now := time.Date(2026, time.March, 15, 12, 0, 0, 0, time.UTC)
	if n := testing.AllocsPerRun(100, func() { ParseTime(ts, now) }); n != 0 {
		t.Errorf("%v allocs, want 0", n)
	}
}
