package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignorePos compares trees without their query offsets.
var ignorePos = cmpopts.IgnoreFields(Term{}, "Pos")

var ignoreRangePos = cmpopts.IgnoreFields(Range{}, "Pos")

func TestParse(t *testing.T) {
	f := func(query, want string) {
		t.Helper()
		e, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		if got := e.String(); got != want {
			t.Fatalf("Parse(%q) = %s, want %s", query, got, want)
		}
	}

	// Everything.
	f("", "*")
	f("  \t\n", "*")
	f("*", "*")
	f("**", "*")
	f("(*)", "*")

	// Terms.
	f("admin", "admin")
	f("user.name:admin", "user.name:admin")
	f("@timestamp:2024-05-01", "@timestamp:2024-05-01")
	f("winlog.event_data.TargetUserName:bob", "winlog.event_data.TargetUserName:bob")
	f("user.name: admin", "user.name:admin")
	f(`user.name:"ANONYMOUS LOGON"`, `user.name:"ANONYMOUS LOGON"`)
	f(`"Failed password"`, `"Failed password"`)
	f(`"say \"hi\" \\ now"`, `"say \"hi\" \\ now"`)
	f(`"C:\Windows\System32"`, `"C:\\Windows\\System32"`)
	f(`""`, `""`)
	f(`f:""`, `f:""`)
	f("source.ip:fe80::1", "source.ip:fe80::1")
	f("f:-5", "f:-5")
	f("f:a-b", "f:a-b")
	f("f:TO", "f:TO")
	f("f:and", "f:and")
	f("a-b", "a-b")
	f("[error]", "[error]")
	f("<script>", "<script>")
	f("f:\\[x", "f:\\[x")
	f("a&&b", "a&&b")
	f("über", "über")

	// Escapes.
	f(`a\ b`, `a\ b`)
	f(`a\:b`, `a\:b`)
	f(`\-enc`, `\-enc`)
	f(`\(x\)`, `\(x\)`)
	f(`f:\AND`, `f:\\AND`)
	f(`f:C\:\\Windows`, `f:C:\\Windows`)
	f(`f:*\cmd.exe`, `f:*\\cmd.exe`)
	f(`f:*\\cmd.exe`, `f:*\\cmd.exe`)
	f(`f:a\*b`, `f:a\*b`)
	f(`f:a\`, `f:a\\`)
	f(`\&&`, `\&&`)
	f(`\AND`, `\\AND`)

	// Wildcards.
	f("source.ip:10.0.0.*", "source.ip:10.0.0.*")
	f("f:a***b", "f:a*b")
	f("f:a?c", "f:a?c")
	f("f:*", "f:*")
	f("_exists_:user.name", "user.name:*")
	f("_exists_: @timestamp", "@timestamp:*")
	f("mimi*", "mimi*")
	f(`f:a\**`, `f:a\**`)
	f(`"a*b"`, `"a*b"`)

	// Ranges.
	f("destination.port:[1 TO 1024]", "destination.port:[1 TO 1024]")
	f("f:{1 TO 5}", "f:{1 TO 5}")
	f("f:[1 TO 5}", "f:[1 TO 5}")
	f("f:{1 TO 5]", "f:{1 TO 5]")
	f("f:[ 1   TO   5 ]", "f:[1 TO 5]")
	f("f:[1 TO *]", "f:>=1")
	f("f:{1 TO *}", "f:>1")
	f("f:[* TO 5]", "f:<=5")
	f("f:[* TO 5}", "f:<5")
	f("f:[* TO *]", "f:[* TO *]")
	f(`f:["a b" TO "c]"]`, `f:["a b" TO "c]"]`)
	f(`f:[\* TO b]`, `f:["*" TO b]`)
	f(`f:["TO" TO z]`, `f:["TO" TO z]`)
	f("f:[a\\] TO b]", `f:["a]" TO b]`)
	f("f:>10", "f:>10")
	f("f:>=10", "f:>=10")
	f("f:<5", "f:<5")
	f("f:<=5", "f:<=5")
	f("f:> 5", "f:>5")
	f("f:>-5.5", "f:>-5.5")
	f(`f:>"a b"`, `f:>"a b"`)
	f(`f:>"=x"`, `f:>"=x"`)
	f("@timestamp:[2024-05-01T00:00:00Z TO 2024-05-02]", "@timestamp:[2024-05-01T00:00:00Z TO 2024-05-02]")
	f("@timestamp:>=2024-05-01T10:00:00.5+02:00", "@timestamp:>=2024-05-01T10:00:00.5+02:00")

	// Operators and precedence.
	f("a AND b", "(a AND b)")
	f("a && b", "(a AND b)")
	f("a b", "(a AND b)")
	f("a OR b", "(a OR b)")
	f("a || b", "(a OR b)")
	f("NOT a", "(NOT a)")
	f("!a", "(NOT a)")
	f("-a", "(NOT a)")
	f("+a", "a")
	f("+a -b", "(a AND (NOT b))")
	f("a OR b AND c", "(a OR (b AND c))")
	f("a AND b OR c", "((a AND b) OR c)")
	f("a OR b c", "(a OR (b AND c))")
	f("NOT a AND b", "((NOT a) AND b)")
	f("NOT NOT a", "(NOT (NOT a))")
	f("NOT (a OR b)", "(NOT (a OR b))")
	f("(a OR b) c", "((a OR b) AND c)")
	f("a (b) c", "(a AND b AND c)")
	f("a AND (b AND c) AND d", "(a AND b AND c AND d)")
	f("(a OR b) OR (c OR d)", "(a OR b OR c OR d)")
	f("((((a))))", "a")
	f("a(b)", "(a AND b)")
	f("and or not", "(and AND or AND not)")
	f("NOT:x", "NOT:x")
	f("a AND *", "a")
	f("a OR *", "*")
	f("NOT *", "(NOT *)")

	// Field groups.
	f("event.code:(4624 OR 4625)", "(event.code:4624 OR event.code:4625)")
	f("f:(a b)", "(f:a AND f:b)")
	f(`f:(a OR "b c" OR d*)`, `(f:a OR f:"b c" OR f:d*)`)
	f("f:(a OR (b AND NOT c))", "(f:a OR (f:b AND (NOT f:c)))")
	f("f:(-a)", "(NOT f:a)")
	f("f:(>5 OR [1 TO 2])", "(f:>5 OR f:[1 TO 2])")
	f("f:(a:b)", "f:a:b")
	f("f:(a OR b) OR c", "(f:a OR f:b OR c)")
	f("f:(*)", "f:*")

	// Realistic queries.
	f("user.name:admin AND source.ip:10.0.0.*", "(user.name:admin AND source.ip:10.0.0.*)")
	f(`event.code:4625 AND NOT user.name:"ANONYMOUS LOGON"`, `(event.code:4625 AND (NOT user.name:"ANONYMOUS LOGON"))`)
	f(`"Failed password" OR "Invalid user"`, `("Failed password" OR "Invalid user")`)
	f("process.command_line:*mimikatz*", "process.command_line:*mimikatz*")
	f(`process.executable:*\powershell.exe AND process.command_line:(*-enc* OR *-EncodedCommand*)`,
		`(process.executable:*\\powershell.exe AND (process.command_line:*-enc* OR process.command_line:*-EncodedCommand*))`)
}

// TestParseTree checks the fields String does not show.
func TestParseTree(t *testing.T) {
	f := func(query string, want Expr) {
		t.Helper()
		got, err := Parse(query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", query, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Parse(%q) mismatch (-want +got):\n%s", query, diff)
		}
	}
	f("user.name:admin", &Term{Field: "user.name", Value: "admin"})
	f("  x", &Term{Value: "x", Pos: 2})
	f(`f:"a*b"`, &Term{Field: "f", Value: "a*b", Phrase: true})
	f(`f:a\*b`, &Term{Field: "f", Value: "a*b"})
	f(`f:a\**`, &Term{Field: "f", Value: "a**", Wildcard: true, Pattern: `a\**`})
	f(`f:a\\*`, &Term{Field: "f", Value: `a\*`, Wildcard: true, Pattern: `a\\*`})
	f(`f:*\cmd.exe`, &Term{Field: "f", Value: `*\cmd.exe`, Wildcard: true, Pattern: `*\\cmd.exe`})
	f(`f:\cmd`, &Term{Field: "f", Value: `\cmd`})
	f("_exists_:a.b", &Term{Field: "a.b", Value: "*", Wildcard: true, Pattern: "*"})
	f("x f:(a OR b)", &And{Operands: []Expr{
		&Term{Value: "x"},
		&Or{Operands: []Expr{&Term{Field: "f", Value: "a", Pos: 5}, &Term{Field: "f", Value: "b", Pos: 10}}},
	}})
	f("n:[1 TO 5}", &Range{Field: "n", Lo: "1", Hi: "5", IncLo: true})
	f("n:[* TO 5]", &Range{Field: "n", Hi: "5", IncHi: true})
	f("n:<=5", &Range{Field: "n", Hi: "5", IncHi: true})
	f("n:>5", &Range{Field: "n", Lo: "5"})
	f("n:[a TO b]", &Range{Field: "n", Lo: "a", Hi: "b", IncLo: true, IncHi: true})
	f("-a", &Not{Operand: &Term{Value: "a", Pos: 1}})
}

func TestParseErrors(t *testing.T) {
	f := func(query string, pos int, msg string) {
		t.Helper()
		e, err := Parse(query)
		if err == nil {
			t.Fatalf("Parse(%q) = %s, want error %q at %d", query, e, msg, pos)
		}
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Fatalf("Parse(%q) error %T %v, want *SyntaxError", query, err, err)
		}
		if !errors.Is(err, ErrSyntax) {
			t.Fatalf("Parse(%q) error %v does not match ErrSyntax", query, err)
		}
		if se.Pos != pos || !strings.Contains(se.Msg, msg) {
			t.Fatalf("Parse(%q) error at %d %q, want at %d %q", query, se.Pos, se.Msg, pos, msg)
		}
	}

	// Quotes and parentheses point at the opening character.
	f(`"abc`, 0, "unterminated quoted string")
	f(`user.name:"abc`, 10, "unterminated quoted string")
	f(`"abc\"`, 0, "unterminated quoted string")
	f("(a", 0, "missing ')'")
	f("a AND (b OR (c)", 6, "missing ')'")
	f("f:(a OR b", 2, "missing ')'")
	f("(", 0, "missing ')'")
	f("()", 0, "empty parentheses")
	f("a )", 2, "unexpected ')'")
	f(")", 0, "unexpected ')'")
	f("(a))", 3, "unexpected ')'")

	// Dangling operators.
	f("a AND", 2, "missing term after AND")
	f("a OR", 2, "missing term after OR")
	f("a &&", 2, "missing term after &&")
	f("NOT", 0, "missing term after NOT")
	f("a AND NOT", 6, "missing term after NOT")
	f("(a OR)", 3, "missing term after OR")
	f("AND a", 0, "missing term before AND")
	f("OR", 0, "missing term before OR")
	f("a OR OR b", 5, "unexpected OR after OR")
	f("a AND OR b", 6, "unexpected OR after AND")
	f("-", 0, "missing term after '-'")
	f("- a", 0, "missing term after '-'")
	f("a !", 2, "missing term after '!'")
	f("+ a", 0, "missing term after '+'")

	// Fields and values.
	f("user.name:", 10, `missing value after "user.name:"`)
	f("user.name:   ", 13, `missing value after "user.name:"`)
	f("user.name: )", 11, `missing value after "user.name:", found ')'`)
	f("user.name: AND x", 11, `missing value after "user.name:", found 'AND'`)
	f("a:OR", 2, `missing value after "a:"`)
	f(":x", 0, "unexpected ':'")
	f("a :x", 2, "unexpected ':'")
	f("user.*:x", 5, "wildcards are not supported in field names")
	f("a/b:x", 1, "invalid character '/' in field name")
	f("_exists_:", 9, "expected a field name after")
	f("_exists_:a*", 9, "expected a field name after")
	f(`_exists_:"a"`, 9, "expected a field name after")
	f("_exists_:_exists_", 9, "expected a field name after")

	// Ranges.
	f("f:[1 5]", 5, "expected TO in range")
	f("f:[1]", 4, "expected TO in range")
	f("f:[1 to 5]", 5, `expected TO in range, found "to"`)
	f("f:[1 TO", 2, "unterminated range")
	f("f:[1 TO 5", 2, "unterminated range")
	f("f:[", 2, "unterminated range")
	f("f:[1 TO 5 6]", 10, "expected ']' or '}' to close the range")
	f("f:[1 TO 5)", 9, "expected ']' or '}' to close the range")
	f("f:[TO 5]", 3, "missing lower bound")
	f("f:[1 TO ]", 8, "missing upper bound")
	f("f:[ ]", 4, "missing lower bound")
	f(`f:["" TO 5]`, 3, "empty range bound")
	f("f:[a* TO b]", 3, "wildcards are not allowed in range bounds")
	f("f:[(a TO b]", 3, "unexpected '(' in range")
	f("f:>", 3, "missing value after '>'")
	f("f:>=", 4, "missing value after '>='")
	f("f:< )", 4, "missing value after '<'")
	f("f:>*", 3, "wildcards are not allowed after '>'")
	f("f:>a*", 3, "wildcards are not allowed after '>'")
	f(`f:>""`, 3, "missing value after '>'")
	f("@timestamp:[now-1d TO now]", 12, `@timestamp bound "now-1d" is not an RFC 3339 time`)
	f("event.ingested:>yesterday", 16, "event.ingested bound")
	f("@timestamp:<=2024-13-45", 13, "@timestamp bound")

	// Limits.
	f(strings.Repeat("(", MaxDepth+1)+"a"+strings.Repeat(")", MaxDepth+1), MaxDepth, "nested more than 100 levels deep")
	f(strings.Repeat("NOT ", MaxDepth+1)+"a", 4*MaxDepth, "nested more than 100 levels deep")
	f(strings.Repeat("-", MaxDepth+1)+"a", MaxDepth, "nested more than 100 levels deep")
	f("f:"+strings.Repeat("(", MaxDepth+1)+"a"+strings.Repeat(")", MaxDepth+1), 2+MaxDepth, "nested more than 100 levels deep")
	f(strings.Repeat("a ", MaxQueryLen/2)+"b", MaxQueryLen, "query is longer than 65536 bytes")
	f("a \xff b", 2, "invalid UTF-8")
	f("x f:"+strings.Repeat("?", MaxPatternLen+1), 4, "wildcard pattern is longer than 1024 bytes")
	f("x "+strings.Repeat("a", MaxPatternLen)+"*", 2, "wildcard pattern is longer than 1024 bytes")
}

// TestParseLimits checks that queries at the limits parse.
func TestParseLimits(t *testing.T) {
	q := strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth)
	if _, err := Parse(q); err != nil {
		t.Fatalf("Parse(%d parentheses): %v", MaxDepth, err)
	}
	q = "f:" + strings.Repeat("?", MaxPatternLen)
	if _, err := Parse(q); err != nil {
		t.Fatalf("Parse(pattern of %d bytes): %v", MaxPatternLen, err)
	}
	q = strings.Repeat("a ", MaxQueryLen/2)
	e, err := Parse(q)
	if err != nil {
		t.Fatalf("Parse(%d bytes): %v", len(q), err)
	}
	if n := len(e.(*And).Operands); n != MaxQueryLen/2 {
		t.Fatalf("Parse(%d bytes) has %d operands, want %d", len(q), n, MaxQueryLen/2)
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse("user.name:admin )")
	if got, want := err.Error(), "at position 16: unexpected ')'"; got != want {
		t.Fatalf("error = %q, want %q", got, want)
	}
}

func TestFieldsAndInspect(t *testing.T) {
	e, err := Parse(`b:1 AND (a:2 OR NOT c:[1 TO 2]) AND word AND b:3 AND _exists_:@timestamp`)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"@timestamp", "a", "b", "c"}, Fields(e)); diff != "" {
		t.Fatalf("Fields mismatch (-want +got):\n%s", diff)
	}
	if got := Fields(&All{}); len(got) != 0 {
		t.Fatalf("Fields(*) = %q, want none", got)
	}

	// Returning false skips the operands of a node.
	var visited []string
	Inspect(e, func(e Expr) bool {
		visited = append(visited, fmt.Sprintf("%T", e))
		_, isOr := e.(*Or)
		return !isOr
	})
	want := []string{"*query.And", "*query.Term", "*query.Or", "*query.Term", "*query.Term", "*query.Term"}
	if diff := cmp.Diff(want, visited); diff != "" {
		t.Fatalf("Inspect visited (-want +got):\n%s", diff)
	}
}
