package chart

import (
	"slices"
	"testing"
	"time"
)

func TestTimeTicks(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skipf("no time zone data: %v", err)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"90s", monday.Add(5 * time.Second), monday.Add(95 * time.Second), []string{"10:00:15", "10:00:30", "10:00:45", "10:01:00", "10:01:15", "10:01:30"}},
		{"10m unaligned", monday.Add(3 * time.Minute), monday.Add(13 * time.Minute), []string{"10:04", "10:06", "10:08", "10:10", "10:12"}},
		{"1d in Paris", time.Date(2025, 3, 10, 0, 0, 0, 0, paris), time.Date(2025, 3, 11, 0, 0, 0, 0, paris), []string{"Mar 10", "06:00", "12:00", "18:00", "Mar 11"}},
		{"30d", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC), []string{"Mar 3", "Mar 10", "Mar 17", "Mar 24", "Mar 31"}},
		{"1y", time.Date(2025, 1, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), []string{"Apr 2025", "Jul 2025", "Oct 2025", "Jan 2026"}},
		{"20y", time.Date(2001, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC), []string{"2005", "2010", "2015", "2020"}},
		{"half a second", monday, monday.Add(500 * time.Millisecond), []string{"10:00:00", "10:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tk := range timeTicks(tt.from, tt.to) {
				if tk.at.Before(tt.from) || tk.at.After(tt.to) {
					t.Errorf("tick %v outside [%v, %v]", tk.at, tt.from, tt.to)
				}
				got = append(got, tk.label)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("labels = %q, want %q", got, tt.want)
			}
		})
	}
}
