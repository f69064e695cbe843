package simulate

import (
	"errors"
	"fmt"
	"time"
)

// DefaultStart is the first instant of a simulation when Config.Start is
// zero: Monday 2 March 2026, midnight UTC.
var DefaultStart = time.Date(2026, time.March, 2, 0, 0, 0, 0, time.UTC)

// Limits of Config. MinDays leaves four full days of ordinary activity
// before the breach, whose stages take the last three days.
const (
	MinDays  = 7
	MaxDays  = 366
	MinUsers = 10
	MaxUsers = 2000
)

// ErrConfig is the sentinel matched by every configuration error.
var ErrConfig = errors.New("invalid simulation config")

// Config says which organisation and which week to simulate. The zero
// value works: seed 0, seven days, 50 staff, from DefaultStart.
type Config struct {
	// Seed selects the organisation, its activity and the breach. Two
	// runs with the same Config give byte-identical output.
	Seed uint64
	// Days is the length of the simulation; zero means 7. The breach
	// begins on day Days-3 (counting from 0), so at least MinDays.
	Days int
	// Users is the number of staff; zero means 50.
	Users int
	// Start is the first instant simulated, truncated to a whole UTC
	// day; zero means DefaultStart. Output never depends on the clock.
	Start time.Time
}

// withDefaults returns c with its zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Days == 0 {
		c.Days = 7
	}
	if c.Users == 0 {
		c.Users = 50
	}
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	c.Start = c.Start.UTC().Truncate(24 * time.Hour)
	return c
}

// Validate reports a Config out of range. Zero fields are valid: they
// mean their defaults.
func (c Config) Validate() error {
	c = c.withDefaults()
	if c.Days < MinDays || c.Days > MaxDays {
		return fmt.Errorf("%w: days %d: want %d to %d (the breach takes the last 3 days, after at least 4 of ordinary activity)", ErrConfig, c.Days, MinDays, MaxDays)
	}
	if c.Users < MinUsers || c.Users > MaxUsers {
		return fmt.Errorf("%w: users %d: want %d to %d", ErrConfig, c.Users, MinUsers, MaxUsers)
	}
	if y := c.Start.Year(); y < 2000 || y > 2100 {
		return fmt.Errorf("%w: start %s: want a year from 2000 to 2100", ErrConfig, c.Start.Format(time.RFC3339))
	}
	return nil
}

// end is the first instant after the simulation.
func (c Config) end() time.Time { return c.Start.AddDate(0, 0, c.Days) }
