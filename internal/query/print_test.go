package query

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// roundTrip checks that e prints as query text that parses back to e, and
// that printing is idempotent.
func roundTrip(t *testing.T, e Expr) {
	t.Helper()
	s := e.String()
	back, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) (printed from %#v): %v", s, e, err)
	}
	if !sameTree(e, back) {
		t.Fatalf("Parse(%q) differs from the tree printed (-printed +parsed):\n%s", s, cmp.Diff(e, back, ignorePos, ignoreRangePos))
	}
	if s2 := back.String(); s2 != s {
		t.Fatalf("printing is not stable: %q, then %q", s, s2)
	}
}

// sameTree reports whether a and b are equal apart from positions. It is
// cmp.Equal with ignorePos, a hundred times faster.
func sameTree(a, b Expr) bool {
	switch a := a.(type) {
	case *Term:
		b, ok := b.(*Term)
		return ok && a.Field == b.Field && a.Value == b.Value && a.Phrase == b.Phrase &&
			a.Wildcard == b.Wildcard && a.Pattern == b.Pattern
	case *Range:
		b, ok := b.(*Range)
		return ok && a.Field == b.Field && a.Lo == b.Lo && a.Hi == b.Hi && a.IncLo == b.IncLo && a.IncHi == b.IncHi
	case *And:
		b, ok := b.(*And)
		return ok && slices.EqualFunc(a.Operands, b.Operands, sameTree)
	case *Or:
		b, ok := b.(*Or)
		return ok && slices.EqualFunc(a.Operands, b.Operands, sameTree)
	case *Not:
		b, ok := b.(*Not)
		return ok && sameTree(a.Operand, b.Operand)
	case *All:
		_, ok := b.(*All)
		return ok
	}
	return a == nil && b == nil
}

func TestSameTree(t *testing.T) {
	g := &treeGen{rnd: rand.New(rand.NewPCG(3, 4))}
	for range 1000 {
		a, b := g.expr(0), g.expr(0)
		if got, want := sameTree(a, b), cmp.Equal(a, b, ignorePos, ignoreRangePos); got != want {
			t.Fatalf("sameTree(%s, %s) = %v, want %v", a, b, got, want)
		}
		if !sameTree(a, a) {
			t.Fatalf("sameTree(%s, itself) = false", a)
		}
	}
}

func TestRoundTripParsed(t *testing.T) {
	for _, q := range seedQueries {
		e, err := Parse(q)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		roundTrip(t, e)
	}
}

// TestRoundTripRandom prints random trees of the shape Parse returns,
// with values full of characters that need escaping, and parses them
// back.
func TestRoundTripRandom(t *testing.T) {
	g := &treeGen{rnd: rand.New(rand.NewPCG(1, 2))}
	for range 20000 {
		roundTrip(t, g.expr(0))
	}
}

func TestPrintHandBuilt(t *testing.T) {
	f := func(e Expr, want string) {
		t.Helper()
		if got := e.String(); got != want {
			t.Fatalf("String() = %s, want %s", got, want)
		}
	}
	f(&And{}, "*")
	f(&Or{}, "(NOT *)")
	f(&And{Operands: []Expr{&Term{Value: "a"}}}, "a")
	f(&Not{}, "(NOT *)")
	f(&Or{Operands: []Expr{nil, &All{}}}, "(* OR *)")
	f(&Term{Field: "f", Value: "AND"}, `f:"AND"`)
	f(&Term{Value: "OR"}, `"OR"`)
	f(&Term{Field: "f"}, `f:""`)
	f(&Range{Field: "f", Lo: "a", Hi: "b"}, "f:{a TO b}")
	f(&Range{Field: "f", Lo: "TO", Hi: "=", IncLo: true, IncHi: true}, `f:["TO" TO "="]`)
}

// seedQueries are realistic analyst queries, shared by the round-trip
// test, the fuzz seed corpus and the benchmarks.
var seedQueries = []string{
	`user.name:admin AND source.ip:10.0.0.*`,
	`event.code:4625 AND NOT user.name:"ANONYMOUS LOGON"`,
	`destination.port:[1 TO 1024]`,
	`"Failed password" OR "Invalid user"`,
	`process.command_line:*mimikatz*`,
	`event.code:(4624 OR 4625) AND winlog.event_data.LogonType:(3 OR 10)`,
	`process.executable:*\powershell.exe AND process.command_line:(*-enc* OR *-EncodedCommand*)`,
	`@timestamp:[2024-05-01T00:00:00Z TO 2024-05-02T00:00:00Z} AND event.outcome:failure`,
	`_exists_:user.name AND NOT user.name:(SYSTEM OR "LOCAL SERVICE" OR "NETWORK SERVICE")`,
	`source.bytes:>1000000 OR destination.bytes:>=1e6`,
	`sshd AND "Accepted publickey" -root`,
	`dns.question.name:*.onion OR dns.question.name:*.bit`,
	`http.response.status_code:[500 TO 599] url.original:\/admin*`,
	`(event.kind:alert OR log.level:(error OR critical)) AND host.name:web-??`,
	`event.original:*wget\ http* || event.original:*curl\ -s*`,
	`file.path:"C:\Windows\Temp\*.exe" OR file.path:C\:\\Users\\*\\AppData\\*`,
	`user.name:adm?n* AND NOT source.ip:(10.* OR 192.168.* OR 172.16.*)`,
	`vigie.source:syslog-udp/* AND vigie.format:syslog AND _id:>100`,
	`+event.category:authentication -event.outcome:success`,
	`source.ip:fe80::1 OR source.ip:"::1"`,
}

// treeGen makes random trees in the normal form Parse returns.
type treeGen struct{ rnd *rand.Rand }

func (g *treeGen) expr(depth int) Expr {
	if depth == 0 && g.rnd.IntN(50) == 0 {
		return &All{}
	}
	if depth >= 4 || g.rnd.IntN(3) == 0 {
		return g.leaf()
	}
	switch g.rnd.IntN(3) {
	case 0:
		if g.rnd.IntN(10) == 0 {
			return &Not{Operand: &All{}}
		}
		return &Not{Operand: g.expr(depth + 1)}
	case 1:
		return &And{Operands: g.operands(depth, func(e Expr) bool { _, ok := e.(*And); return ok })}
	}
	return &Or{Operands: g.operands(depth, func(e Expr) bool { _, ok := e.(*Or); return ok })}
}

// operands returns two to four operands, none of which is rejected by
// same (a nested And in an And would be flattened by Parse).
func (g *treeGen) operands(depth int, same func(Expr) bool) []Expr {
	ops := make([]Expr, 2+g.rnd.IntN(3))
	for i := range ops {
		for {
			ops[i] = g.expr(depth + 1)
			if _, all := ops[i].(*All); !all && !same(ops[i]) {
				break
			}
		}
	}
	return ops
}

func (g *treeGen) leaf() Expr {
	field := ""
	if g.rnd.IntN(3) > 0 {
		field = g.field()
	}
	switch {
	case field != "" && g.rnd.IntN(4) == 0:
		r := &Range{Field: field}
		if g.rnd.IntN(4) > 0 {
			r.Lo, r.IncLo = g.text(false), g.rnd.IntN(2) == 0
		}
		if g.rnd.IntN(4) > 0 {
			r.Hi, r.IncHi = g.text(false), g.rnd.IntN(2) == 0
		}
		return r
	case g.rnd.IntN(4) == 0:
		return &Term{Field: field, Value: g.text(true), Phrase: true}
	case g.rnd.IntN(3) == 0:
		return g.wildcard(field)
	}
	v := g.text(false)
	for v == "AND" || v == "OR" || v == "NOT" {
		v = g.text(false)
	}
	return &Term{Field: field, Value: v}
}

// wildcard returns a Term with a pattern of literal runs, '*' and '?'.
func (g *treeGen) wildcard(field string) *Term {
	for {
		var value, pattern strings.Builder
		wild, lastStar := false, false
		for n := 1 + g.rnd.IntN(4); n > 0; n-- {
			switch g.rnd.IntN(3) {
			case 0:
				if !lastStar {
					value.WriteByte('*')
					pattern.WriteByte('*')
					wild, lastStar = true, true
				}
				continue
			case 1:
				value.WriteByte('?')
				pattern.WriteByte('?')
				wild = true
			default:
				s := g.text(false)
				value.WriteString(s)
				for _, c := range []byte(s) {
					if c == '*' || c == '?' || c == '\\' {
						pattern.WriteByte('\\')
					}
					pattern.WriteByte(c)
				}
			}
			lastStar = false
		}
		if wild && !(field == "" && pattern.String() == "*") {
			return &Term{Field: field, Value: value.String(), Wildcard: true, Pattern: pattern.String()}
		}
	}
}

var genFields = []string{"f", "user.name", "@x", "a-b", "_id", "NOT", "TO", "x_1.y", "é.ü"}

func (g *treeGen) field() string { return genFields[g.rnd.IntN(len(genFields))] }

// genAtoms are the pieces random text is made of: every character with a
// meaning in the syntax, keywords, and some non-ASCII.
var genAtoms = []string{
	"a", "Z", "0", "9", "-", "+", "!", ":", `\`, `"`, "(", ")", "*", "?", "[", "]", "{", "}",
	"<", ">", "=", "&", "|", ".", "_", "@", " ", "\t", "\n", "é", "\u212a", "\u00a0", "𝔸",
	"AND", "OR", "NOT", "TO", "&&", "||", "_exists_",
}

// text returns 1 to 5 random atoms, or "" when empty is allowed and
// chosen.
func (g *treeGen) text(empty bool) string {
	if empty && g.rnd.IntN(10) == 0 {
		return ""
	}
	var b strings.Builder
	for n := 1 + g.rnd.IntN(5); n > 0; n-- {
		b.WriteString(genAtoms[g.rnd.IntN(len(genAtoms))])
	}
	return b.String()
}
