package chart

import "time"

// tick is one labelled time on an x axis.
type tick struct {
	at    time.Time
	label string
}

// A tickStep is a candidate spacing of time labels: a fixed duration
// below a day, a number of calendar days, or a number of months.
type tickStep struct {
	every  time.Duration // below a day
	days   int           // whole days, aligned on a day count (weeks on Mondays)
	months int           // whole months, aligned on January
}

// tickSteps lists the candidate steps from finest to coarsest.
func tickSteps() []tickStep {
	return []tickStep{
		{every: time.Second}, {every: 2 * time.Second}, {every: 5 * time.Second},
		{every: 10 * time.Second}, {every: 15 * time.Second}, {every: 30 * time.Second},
		{every: time.Minute}, {every: 2 * time.Minute}, {every: 5 * time.Minute},
		{every: 10 * time.Minute}, {every: 15 * time.Minute}, {every: 30 * time.Minute},
		{every: time.Hour}, {every: 2 * time.Hour}, {every: 3 * time.Hour},
		{every: 6 * time.Hour}, {every: 12 * time.Hour},
		{days: 1}, {days: 2}, {days: 7}, {days: 14},
		{months: 1}, {months: 3}, {months: 6}, {months: 12}, {months: 60}, {months: 120},
	}
}

// Label counts the axis aims for.
const minTicks, maxTicks = 3, 6

// timeTicks chooses labels for an axis from from to to, in from's
// location: the finest step of the list that gives between 3 and 6
// labels on round times (quarter hours, midnights, Mondays, first of the
// month), or the step whose count comes closest.
func timeTicks(from, to time.Time) []tick {
	if !to.After(from) {
		return []tick{{at: from, label: from.Format("Jan 2 15:04:05")}}
	}
	var best []time.Time
	var bestStep tickStep
	bestMiss := -1
	for _, step := range tickSteps() {
		at := stepTimes(from, to, step, maxTicks+1)
		miss := 0
		if len(at) < minTicks {
			miss = minTicks - len(at)
		} else if len(at) > maxTicks {
			miss = len(at) - maxTicks
		}
		if bestMiss < 0 || miss < bestMiss {
			best, bestStep, bestMiss = at, step, miss
		}
		if miss == 0 {
			break
		}
	}
	if len(best) < 2 { // a span too short for any round step
		best = []time.Time{from, to}
		bestStep = tickStep{every: time.Second}
	}
	ticks := make([]tick, len(best))
	for i, t := range best {
		ticks[i] = tick{at: t, label: tickLabel(t, bestStep, from, to)}
	}
	return ticks
}

// stepTimes lists the round times of step between from and to, at most
// limit of them.
func stepTimes(from, to time.Time, step tickStep, limit int) []time.Time {
	loc := from.Location()
	y, m, d := from.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, loc)
	var t time.Time
	var next func(time.Time) time.Time
	switch {
	case step.every > 0:
		k := (from.Sub(midnight) + step.every - 1) / step.every
		t = midnight.Add(k * step.every)
		next = func(t time.Time) time.Time { return t.Add(step.every) }
	case step.days > 0:
		t = midnight
		if t.Before(from) {
			t = t.AddDate(0, 0, 1)
		}
		for range step.days {
			if dayNumber(t)%step.days == 0 {
				break
			}
			t = t.AddDate(0, 0, 1)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, step.days) }
	default:
		t = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		if t.Before(from) {
			t = t.AddDate(0, 1, 0)
		}
		for range step.months {
			if (t.Year()*12+int(t.Month())-1)%step.months == 0 {
				break
			}
			t = t.AddDate(0, 1, 0)
		}
		next = func(t time.Time) time.Time { return t.AddDate(0, step.months, 0) }
	}
	var at []time.Time
	for ; !t.After(to) && len(at) < limit; t = next(t) {
		at = append(at, t)
	}
	return at
}

// dayNumber counts days from Monday 1969-12-29 to t's date, so that
// multiples of 7 fall on Mondays.
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix()/86400) + 3
}

// tickLabel formats t at the precision of step: seconds, minutes (with
// the date at midnight when the span crosses days), days, months or years.
func tickLabel(t time.Time, step tickStep, from, to time.Time) string {
	switch {
	case step.every > 0 && step.every < time.Minute:
		return t.Format("15:04:05")
	case step.every > 0:
		if t.Hour() == 0 && t.Minute() == 0 && !sameDay(from, to) {
			return t.Format("Jan 2")
		}
		return t.Format("15:04")
	case step.days > 0:
		return t.Format("Jan 2")
	case step.months < 12:
		return t.Format("Jan 2006")
	default:
		return t.Format("2006")
	}
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.In(a.Location()).Date()
	return ay == by && am == bm && ad == bd
}
