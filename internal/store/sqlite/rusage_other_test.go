//go:build !unix

package sqlite

import "time"

// cpuTime and peakRSS are not measured here.
func cpuTime() time.Duration { return 0 }
func peakRSS() int64         { return 0 }
