package sigma

import (
	"fmt"
	"time"
)

// Pos is a position in a rule file, 1-based. The zero Pos is unknown.
type Pos struct {
	Line, Col int
}

// Error is an error in a rule file, reported as "file:line:col: message".
type Error struct {
	File string
	Pos  Pos
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Msg)
}

// Kind is what a rule document is.
type Kind uint8

// The kinds of rule documents.
const (
	// KindDetection is a rule with a logsource and a detection section.
	KindDetection Kind = iota
	// KindCorrelation is a Sigma v2 correlation rule.
	KindCorrelation
	// KindFilter is a Sigma global filter: its condition excludes events
	// from the rules it names.
	KindFilter
)

func (k Kind) String() string {
	switch k {
	case KindDetection:
		return "detection"
	case KindCorrelation:
		return "correlation"
	case KindFilter:
		return "filter"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Rule is one YAML document of a rule file.
type Rule struct {
	File string // path as given to the parser
	Pos  Pos    // first line of the document
	Kind Kind

	ID          string
	Name        string // the optional "name", by which correlations refer to it
	Title       string
	Description string
	Status      string
	Level       string // informational, low, medium, high, critical; "" when absent
	Author      string
	Date        string
	Modified    string
	Tags        []string // as written: "attack.t1059.001", "attack.execution", "cve.2021-44228"
	References  []string
	// FalsePositives and Fields are informative lists.
	FalsePositives []string
	Fields         []string
	Related        []Related
	License        string // SPDX identifier, "" when absent

	Logsource Logsource // detection and filter rules

	// Detection is set for detection and filter rules.
	Detection *Detection
	// Correlation is set for correlation rules, and for a detection rule
	// whose condition carries a deprecated Sigma v1 aggregation
	// ("selection | count(User) by IpAddress > 3"): the parser turns that
	// into an event_count or value_count correlation over the rule itself,
	// with Rules holding the rule's own ID and Timespan the detection's
	// timeframe.
	Correlation *Correlation
	// Filter is set for filter rules.
	Filter *Filter

	// Unsupported is non-empty when the rule is valid but uses a feature
	// Vigie does not evaluate; it says which, for "vigie rules lint".
	Unsupported string
}

// Related is an entry of "related".
type Related struct {
	ID   string
	Type string // derived, obsolete, merged, renamed, similar
}

// Logsource is a rule's "logsource".
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
	Pos        Pos
}

// Detection is a rule's "detection" section, or a filter's "filter"
// section (without its "rules").
type Detection struct {
	Pos Pos
	// Searches are the named search identifiers, in file order.
	Searches []*Search
	// Condition is the parsed condition. A list of conditions is one Or.
	Condition Expr
	// ConditionText is the condition as written (conditions of a list
	// joined with " or ", each in parentheses).
	ConditionText string
	// Timeframe is the deprecated "timeframe", zero when absent.
	Timeframe time.Duration
}

// Search looks up a search identifier by name, or returns nil.
func (d *Detection) Search(name string) *Search {
	for _, s := range d.Searches {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Search is one search identifier: a disjunction of groups, each a
// conjunction of items.
//
//   - A map is one group holding one item per key.
//   - A list of maps is one group per map.
//   - A list of plain values (keywords) is one group holding one keyword
//     item (Field "") with all the values.
//   - A list mixing plain values and maps gives a group per map and one
//     group holding a keyword item for the plain values.
type Search struct {
	Name   string
	Pos    Pos
	Groups [][]*Item
}

// Op is how an item compares a field value with the rule's values.
type Op uint8

// The comparisons. OpEqual is the plain Sigma comparison: whole value,
// with the wildcards * and ? (escaped with \), case-insensitive unless
// Cased.
const (
	OpEqual Op = iota
	OpContains
	OpStartsWith
	OpEndsWith
	OpRegexp // re; ReFlags holds i, m, s
	OpCIDR
	OpExists // the value is a bool: the field must (true) or must not (false) exist
	OpLT
	OpLTE
	OpGT
	OpGTE
)

var opNames = [...]string{
	OpEqual: "equal", OpContains: "contains", OpStartsWith: "startswith", OpEndsWith: "endswith",
	OpRegexp: "re", OpCIDR: "cidr", OpExists: "exists",
	OpLT: "lt", OpLTE: "lte", OpGT: "gt", OpGTE: "gte",
}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// Transform is a value modifier applied to the rule's string values before
// comparison, in the order written.
type Transform uint8

// The transforms.
const (
	Base64       Transform = iota + 1 // base64
	Base64Offset                      // base64offset: the three shifted encodings
	UTF16LE                           // utf16le and its alias wide
	UTF16BE                           // utf16be
	UTF16                             // utf16: byte order mark then UTF-16LE
	Windash                           // windash: each of - / – — ― in turn
	Expand                            // expand: %placeholder% names a value list
)

var transformNames = [...]string{
	Base64: "base64", Base64Offset: "base64offset", UTF16LE: "utf16le", UTF16BE: "utf16be",
	UTF16: "utf16", Windash: "windash", Expand: "expand",
}

func (t Transform) String() string {
	if int(t) < len(transformNames) && transformNames[t] != "" {
		return transformNames[t]
	}
	return fmt.Sprintf("transform(%d)", t)
}

// Item is one "field|modifiers: values" entry, or a keyword list.
type Item struct {
	Pos       Pos
	Field     string   // "" for keywords, which match any field value
	Modifiers []string // as written, for messages
	Op        Op
	// All joins the values with AND instead of OR.
	All bool
	// Cased compares case-sensitively.
	Cased bool
	// Neq negates the comparison: the field exists and no value (all
	// values, with All) compares equal.
	Neq bool
	// FieldRef means each value names another field of the same event
	// whose value is compared, with Op (equal, startswith, endswith or
	// contains).
	FieldRef bool
	// Transforms apply to string values, in order.
	Transforms []Transform
	// ReFlags are the re sub-modifiers, some of "i", "m", "s".
	ReFlags string
	// TimePart is a time modifier (minute, hour, day, week, month, year):
	// the field is read as a time and the part compared as a number.
	TimePart string
	Values   []Value
}

// ValueKind is the YAML type of a rule value.
type ValueKind uint8

// The value kinds.
const (
	String ValueKind = iota
	Number
	Bool
	Null
)

// Value is one rule value. Text is the YAML scalar as decoded (quotes
// removed, YAML escapes applied), with Sigma's wildcards and backslash
// escapes left in place for the compiler. An empty string is a String
// with Text "". A YAML null (or "~", or no value at all) is Null: the
// field must be absent or null.
type Value struct {
	Kind ValueKind
	Text string
	Pos  Pos
}

// Expr is a node of a parsed condition: *Ident, *Not, *And, *Or or *Of.
type Expr interface {
	Position() Pos
}

// Ident names one search identifier.
type Ident struct {
	Pos  Pos
	Name string
}

// Not negates X.
type Not struct {
	Pos Pos
	X   Expr
}

// And is true when all of Args are.
type And struct {
	Pos  Pos
	Args []Expr
}

// Or is true when any of Args is.
type Or struct {
	Pos  Pos
	Args []Expr
}

// Of is "1 of PATTERN" or "all of PATTERN". Pattern is "them" (every
// search identifier whose name does not start with "_") or a name with
// "*" wildcards. The parser checks that the pattern matches at least one
// search identifier.
type Of struct {
	Pos     Pos
	All     bool
	Pattern string
}

func (e *Ident) Position() Pos { return e.Pos }
func (e *Not) Position() Pos   { return e.Pos }
func (e *And) Position() Pos   { return e.Pos }
func (e *Or) Position() Pos    { return e.Pos }
func (e *Of) Position() Pos    { return e.Pos }

// CorrelationType is the "type" of a correlation.
type CorrelationType uint8

// The correlation types.
const (
	EventCount CorrelationType = iota + 1
	ValueCount
	Temporal
	TemporalOrdered
	ValueSum
	ValueAvg
	ValuePercentile
)

var correlationNames = [...]string{
	EventCount: "event_count", ValueCount: "value_count", Temporal: "temporal",
	TemporalOrdered: "temporal_ordered", ValueSum: "value_sum", ValueAvg: "value_avg",
	ValuePercentile: "value_percentile",
}

func (t CorrelationType) String() string {
	if int(t) < len(correlationNames) && correlationNames[t] != "" {
		return correlationNames[t]
	}
	return fmt.Sprintf("correlation(%d)", t)
}

// Correlation is a correlation rule's "correlation" section.
type Correlation struct {
	Pos  Pos
	Type CorrelationType
	// Rules are the ids or names of the rules (detections or other
	// correlations) whose matches are correlated.
	Rules    []string
	GroupBy  []string
	Timespan time.Duration
	// Aliases maps an alias used in GroupBy to, per rule name (or id), the
	// field holding its value in that rule's events.
	Aliases map[string]map[string]string
	// Field is the condition's "field" for value_count and the value_*
	// metrics.
	Field string
	// Condition holds the comparisons that must all hold, ANDed. Temporal
	// correlations without a condition get "gte: number of rules".
	Condition []Threshold
	// Generate asks for the matches of the referred rules to be reported
	// on their own too.
	Generate bool
}

// Threshold is one "gt: 10" entry of a correlation condition. Op is one of
// gt, gte, lt, lte, eq, neq.
type Threshold struct {
	Op    string
	Value float64
}

// Holds reports whether x satisfies t.
func (t Threshold) Holds(x float64) bool {
	switch t.Op {
	case "gt":
		return x > t.Value
	case "gte":
		return x >= t.Value
	case "lt":
		return x < t.Value
	case "lte":
		return x <= t.Value
	case "eq":
		return x == t.Value
	case "neq":
		return x != t.Value
	}
	return false
}

// Filter is a filter rule's "filter" section: its Detection (on the Rule)
// is ANDed as "and not (condition)" onto each named rule.
type Filter struct {
	Pos   Pos
	Rules []string // ids or names
}
