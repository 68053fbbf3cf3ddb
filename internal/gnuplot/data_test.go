package gnuplot

import (
	"testing"
	"time"
)

func TestEpochsYear(t *testing.T) {
	utc := func(y int, m time.Month, d, h int) int64 { return time.Date(y, m, d, h, 0, 0, 0, time.UTC).Unix() }
	tests := []struct {
		name string
		now  time.Time
		ts   []string
		want []int64
	}{
		{"current year", time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC),
			[]string{"Nov  3 06:00:00", "Dec  1 07:00:00"}, []int64{utc(2026, 11, 3, 6), utc(2026, 12, 1, 7)}},
		{"across new year", time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC),
			[]string{"Dec 31 23:00:00", "Jan  1 01:00:00"}, []int64{utc(2026, 12, 31, 23), utc(2027, 1, 1, 1)}},
		{"future date is last year", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			[]string{"Dec 30 10:00:00"}, []int64{utc(2025, 12, 30, 10)}},
		{"rfc3339 and junk", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
			[]string{"2026-02-01T10:00:00Z", "junk"}, []int64{utc(2026, 2, 1, 10), -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := make([][]string, len(tt.ts))
			for i, s := range tt.ts {
				recs[i] = []string{s}
			}
			got := epochs(recs, 0, tt.now, time.UTC)
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%q: %d (%s), want %d", tt.ts[i], got[i], time.Unix(got[i], 0).UTC(), tt.want[i])
				}
			}
		})
	}
}

func TestBucketed(t *testing.T) {
	got := bucketed([]string{"100", "130", "185", "50", "500", "400"}, 60)
	want := []string{"100", "100", "160", "100", "400", "400"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bucketed = %q, want %q", got, want)
			break
		}
	}
}
