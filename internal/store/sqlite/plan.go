package sqlite

import (
	"strings"

	"github.com/vigie-sec/vigie/internal/query"
)

// termsQuery translates e into an FTS5 query on the terms index that
// selects every event e matches, and maybe others: the query matcher
// checks each candidate. It returns "" when the index cannot narrow e,
// and then every event in the time bounds is a candidate.
//
// What the index narrows:
//   - a term on an entity field (user.name:alice) is the value's entity
//     term; a wildcard with a literal prefix (user.name:adm*) is a prefix
//     query on the entity terms;
//   - a bare word, phrase or wildcard word is the words the matcher must
//     find, as phrases (see textQuery);
//   - AND keeps what its operands narrow; OR narrows when all its operands
//     do.
//
// NOT, ranges, other fields and special fields (event.original,
// @timestamp, ...) are left to the matcher.
//
// The query holds only terms of [0-9a-z_] in double quotes, spaces,
// parentheses, '*', AND and OR: no user text reaches the FTS5 parser.
func termsQuery(e query.Expr) string {
	return termsQueryAt(e, 0)
}

// maxTermsDepth bounds the nesting of groups in a terms query: FTS5's
// parser stack overflows at 34 levels (TestTermsQueryLimits). Deeper
// operands are left to the matcher, which keeps the query a superset: an
// AND drops them, an OR that holds one narrows nothing.
const maxTermsDepth = 20

func termsQueryAt(e query.Expr, depth int) string {
	if depth > maxTermsDepth {
		return ""
	}
	switch e := e.(type) {
	case *query.Term:
		if e.Field == "" {
			return textQuery(e)
		}
		return entityQuery(e)
	case *query.And:
		var parts []string
		for _, op := range e.Operands {
			if q := termsQueryAt(op, depth+1); q != "" {
				parts = append(parts, q)
			}
		}
		return joinQueries(parts, " AND ")
	case *query.Or:
		parts := make([]string, 0, len(e.Operands))
		for _, op := range e.Operands {
			q := termsQueryAt(op, depth+1)
			if q == "" {
				return "" // this operand may match any event
			}
			parts = append(parts, q)
		}
		return joinQueries(parts, " OR ")
	}
	return ""
}

func joinQueries(parts []string, op string) string {
	switch len(parts) {
	case 0:
		return ""
	case 1:
		return parts[0]
	}
	return "(" + strings.Join(parts, op) + ")"
}

// entityQuery returns the terms query of a term on an entity field.
func entityQuery(t *query.Term) string {
	prefix, ok := entityPrefixes[t.Field]
	if !ok {
		return ""
	}
	if !t.Wildcard {
		return `"` + string(appendEntityTerm(nil, prefix, entityKey(t.Value))) + `"`
	}
	segs, leading, _ := literalSegments(t.Pattern)
	if leading || len(segs) == 0 {
		return "" // "*x" and "*": every event with the field may match
	}
	return `"` + string(appendEntityTerm(nil, prefix, entityKey(segs[0]))) + `" *`
}

// textQuery returns the terms query of a bare word, phrase or wildcard
// word: the words of each literal run of the term as a phrase. The matcher
// finds a bare word only as a whole word, so its first and last words are
// whole words of the text; a phrase may begin or end inside a word of the
// text, so its first word is left out (it may be the end of a longer word)
// and its last word becomes a prefix. A wildcard word matches a stretch of
// text that starts and ends at word boundaries: its literal runs are
// phrases, whole at the stretch's ends and partial next to a wildcard.
func textQuery(t *query.Term) string {
	switch {
	case t.Phrase:
		return textRunQuery(t.Value, false, false)
	case !t.Wildcard:
		return textRunQuery(t.Value, true, true)
	}
	segs, leading, trailing := literalSegments(t.Pattern)
	var parts []string
	for i, seg := range segs {
		atStart := i == 0 && !leading
		atEnd := i == len(segs)-1 && !trailing
		if q := textRunQuery(seg, atStart, atEnd); q != "" {
			parts = append(parts, q)
		}
	}
	return joinQueries(parts, " AND ")
}

// textRunQuery returns the phrase query of a literal run of text; atStart
// (atEnd) says that the matcher finds the run only at a word boundary.
func textRunQuery(text string, atStart, atEnd bool) string {
	ws, startsInWord, endsInWord := words(text)
	if len(ws) > 0 && startsInWord && !atStart {
		ws = ws[1:]
		if len(ws) == 0 {
			return ""
		}
	}
	if len(ws) == 0 {
		return ""
	}
	q := `"` + strings.Join(ws, " ") + `"`
	if endsInWord && !atEnd {
		q += " *"
	}
	return q
}

// literalSegments splits a wildcard pattern at its '*' and '?' and removes
// its escapes, as the query package reads patterns. It reports whether the
// pattern starts and ends with a wildcard.
func literalSegments(pattern string) (segs []string, leading, trailing bool) {
	var cur strings.Builder
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '\\' && i+1 < len(pattern):
			i++
			cur.WriteByte(pattern[i])
		case c == '*' || c == '?':
			if i == 0 {
				leading = true
			}
			if i == len(pattern)-1 {
				trailing = true
			}
			if cur.Len() > 0 {
				segs = append(segs, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(c)
		}
	}
	if cur.Len() > 0 {
		segs = append(segs, cur.String())
	}
	return segs, leading, trailing
}
