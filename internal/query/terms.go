package query

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// valueMatcher matches one field value.
type valueMatcher struct {
	kind  valueKind
	lit   string       // valueExact: the lowercased value
	stars *starPattern // valueStars
	glob  *glob        // valueGlob
	text  string       // the pattern, for describe
}

type valueKind uint8

const (
	valueExact valueKind = iota // equal, ignoring case
	valueAny                    // any value: the pattern "*"
	valueStars                  // a pattern with '*' only
	valueGlob                   // any other pattern
)

func newValueMatcher(t *Term) (valueMatcher, error) {
	if !t.Wildcard {
		return valueMatcher{kind: valueExact, lit: strings.ToLower(t.Value)}, nil
	}
	items, err := parsePattern(t.Pattern)
	if err != nil {
		return valueMatcher{}, err
	}
	m := valueMatcher{kind: valueGlob, text: t.Pattern}
	if len(items) == 1 && items[0].wildcard == '*' {
		m.kind = valueAny
	} else if sp, ok := newStarPattern(items); ok {
		m.kind, m.stars = valueStars, sp
	} else {
		m.glob = newGlob(items)
	}
	return m, nil
}

func (m *valueMatcher) match(s string) bool {
	switch m.kind {
	case valueExact:
		return equalFold(s, m.lit)
	case valueAny:
		return true
	case valueStars:
		return m.stars.match(s)
	}
	return m.glob.match(s, false)
}

func (m *valueMatcher) cost() int {
	switch m.kind {
	case valueAny:
		return 5
	case valueExact:
		return 10
	case valueStars:
		if s := m.stars.shape(); s == "prefix" || s == "suffix" {
			return 12
		}
		return 20
	}
	return 50
}

// fieldTerm is a Term with a field.
type fieldTerm struct {
	name    string
	special special
	value   valueMatcher
	// For time fields, a value that is a time matches [from, to): that
	// instant, or the whole day of a date alone.
	from, to time.Time
	isTime   bool
	// For _id, a value that is an integer.
	id   int64
	isID bool
}

func compileTerm(t *Term) (pred, error) {
	if t.Wildcard && t.Pattern == "" {
		return nil, fmt.Errorf("wildcard term %q has no pattern", t.Value)
	}
	if t.Wildcard && len(t.Pattern) > MaxPatternLen {
		return nil, fmt.Errorf("wildcard pattern is longer than %d bytes", MaxPatternLen)
	}
	if t.Field == "" {
		return compileText(t)
	}
	m, err := newValueMatcher(t)
	if err != nil {
		return nil, fmt.Errorf("term %s: %w", t.Field, err)
	}
	ft := &fieldTerm{name: t.Field, special: specialOf(t.Field), value: m}
	if ft.special.isTime() && !t.Wildcard {
		if tm, ok := ParseTime(t.Value); ok {
			ft.from, ft.to, ft.isTime = tm, tm.Add(time.Nanosecond), true
			if len(t.Value) == len(time.DateOnly) {
				ft.to = tm.AddDate(0, 0, 1)
			}
		}
	}
	if ft.special == specialID && !t.Wildcard {
		if n, err := strconv.ParseInt(t.Value, 10, 64); err == nil {
			ft.id, ft.isID = n, true
		}
	}
	return ft, nil
}

func (t *fieldTerm) match(ev *event.Event) bool {
	if t.special == plain {
		for _, f := range ev.Values(t.name) {
			if t.value.match(f.Value) {
				return true
			}
		}
		return false
	}
	switch {
	case t.value.kind == valueAny:
		return t.special.present(ev)
	case t.isTime:
		tm := t.special.eventTime(ev)
		return !tm.IsZero() && !tm.Before(t.from) && tm.Before(t.to)
	case t.isID:
		return ev.ID != 0 && int64(ev.ID) == t.id
	}
	s, ok := t.special.value(ev)
	return ok && t.value.match(s)
}

func (t *fieldTerm) cost() int {
	if t.special == specialOriginal {
		return t.value.cost() * 10
	}
	return t.value.cost()
}

func (t *fieldTerm) describe(b *strings.Builder) {
	switch {
	case t.isTime:
		fmt.Fprintf(b, "time(%s, %s, %s)", t.name, t.from.Format(time.RFC3339Nano), t.to.Format(time.RFC3339Nano))
	case t.isID:
		fmt.Fprintf(b, "id(%s, %d)", t.name, t.id)
	case t.value.kind == valueExact:
		fmt.Fprintf(b, "eq(%s, %q)", t.name, t.value.lit)
	case t.value.kind == valueAny:
		fmt.Fprintf(b, "exists(%s)", t.name)
	case t.value.kind == valueStars:
		fmt.Fprintf(b, "%s(%s, %q)", t.value.stars.shape(), t.name, t.value.text)
	default:
		fmt.Fprintf(b, "glob(%s, %q)", t.name, t.value.text)
	}
}

// textTerm is a bare word, wildcard word or phrase, searched in the full
// text (see fullText).
type textTerm struct {
	kind textKind
	// For textSubstring: the lowercased text, and whether its start and
	// end must be word boundaries.
	lit            string
	atStart, atEnd bool
	glob           *glob // for textGlob
	text           string
}

type textKind uint8

const (
	textAll       textKind = iota // the empty phrase
	textSubstring                 // a word, phrase, or pattern with '*' only at its ends
	textGlob                      // any other pattern
)

func compileText(t *Term) (pred, error) {
	tt := &textTerm{kind: textSubstring, text: t.Value}
	switch {
	case t.Phrase:
		tt.lit = strings.ToLower(t.Value)
	case !t.Wildcard:
		tt.lit = strings.ToLower(t.Value)
		tt.atStart, tt.atEnd = true, true
	default:
		tt.text = t.Pattern
		items, err := parsePattern(t.Pattern)
		if err != nil {
			return nil, fmt.Errorf("term %q: %w", t.Value, err)
		}
		sp, ok := newStarPattern(items)
		switch {
		case len(items) == 1 && items[0].wildcard == '*':
			tt.kind = textAll
		case ok && len(sp.parts) == 1:
			// "ab*" needs a boundary before "ab": the '*' can always run on
			// to the next white space, which is a boundary. Likewise for
			// "*ab" and the boundary after.
			tt.lit, tt.atStart, tt.atEnd = sp.parts[0], !sp.leading, !sp.trailing
		default:
			tt.kind, tt.glob = textGlob, newGlob(items)
		}
	}
	if tt.kind == textSubstring && tt.lit == "" {
		tt.kind = textAll
	}
	return tt, nil
}

func (t *textTerm) match(ev *event.Event) bool {
	switch t.kind {
	case textAll:
		return true
	case textSubstring:
		return textMatch(fullText(ev), t.lit, t.atStart, t.atEnd)
	}
	return t.glob.match(fullText(ev), true)
}

func (t *textTerm) cost() int {
	if t.kind == textGlob {
		return 400
	}
	return 100
}

func (t *textTerm) describe(b *strings.Builder) {
	switch {
	case t.kind == textAll:
		b.WriteString("all")
	case t.kind == textGlob:
		fmt.Fprintf(b, "text-glob(%q)", t.text)
	case t.atStart && t.atEnd:
		fmt.Fprintf(b, "word(%q)", t.lit)
	case t.atStart:
		fmt.Fprintf(b, "word-prefix(%q)", t.lit)
	case t.atEnd:
		fmt.Fprintf(b, "word-suffix(%q)", t.lit)
	default:
		fmt.Fprintf(b, "substring(%q)", t.lit)
	}
}
