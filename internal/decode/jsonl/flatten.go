package jsonl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
)

// MaxDepth is the deepest nesting of objects and arrays accepted.
const MaxDepth = 100

// ErrNotObject is returned by DecodeObject for valid JSON that is not an
// object, such as an array or a bare string.
var ErrNotObject = errors.New("not a JSON object")

// SyntaxError reports invalid JSON. Offset is the byte offset of the fault
// in the value that was being decoded.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at offset %d: %s", e.Offset, e.Msg)
}

// Flatten adds the fields of raw, one JSON value, to e. An object adds each
// member as prefix + "." + key (the key alone when prefix is empty),
// recursively; an array adds each element under prefix; a string, number,
// boolean or null adds one field named prefix. A scalar with an empty prefix
// is an error, as is invalid JSON. The fields appended are sorted by name
// among themselves, stably (the values of a repeated name stay in document
// order); call e.Sort if e had fields before or more are added. On error,
// e.Fields is left as it was.
//
// Flatten keeps no reference to raw. It is safe for concurrent use. A
// decoder that flattens every record of a stream should use a Flattener.
func Flatten(prefix string, raw json.RawMessage, e *event.Event) error {
	p := getParser()
	defer putParser(p)
	return p.flatten(prefix, raw, e)
}

// A Flattener flattens JSON values as Flatten does, keeping its table of
// field names and its cache of record shapes from one call to the next, so
// that the records of a stream share name strings and are sorted in linear
// time. A decoder keeps one per stream. (Flatten takes one from a sync.Pool,
// which the garbage collector empties at every cycle.)
//
// The zero value is ready to use. A Flattener must not be used by several
// goroutines at once; its memory is bounded (4,096 names, 1,024 shapes).
type Flattener struct {
	p parser
}

// Flatten is Flatten, reusing f's tables.
func (f *Flattener) Flatten(prefix string, raw json.RawMessage, e *event.Event) error {
	return f.p.flatten(prefix, raw, e)
}

// Object is FlattenObject, reusing f's tables.
func (f *Flattener) Object(raw json.RawMessage, e *event.Event) error {
	return f.p.object(raw, e)
}

// FlattenObject is Flatten with an empty prefix for a value that must be a
// JSON object: it returns ErrNotObject for any other JSON value. Decoders
// of object-per-record formats (winjson, cloudtrail) build on it.
func FlattenObject(raw json.RawMessage, e *event.Event) error {
	p := getParser()
	defer putParser(p)
	return p.object(raw, e)
}

// parser flattens one JSON text. A parser is reused for many texts (through
// parserPool) so that its name table and buffers are amortised; it is not
// safe for concurrent use.
type parser struct {
	s     string // the text being parsed: one private copy of the input
	pos   int
	depth int
	path  []byte // the field name being built, such as "a.b.c"
	// named says whether path is a field name: false only at the top of a
	// text flattened with an empty prefix (an empty key makes an empty name).
	named bool
	e     *event.Event
	// names interns field names, so that every event of a stream shares the
	// same name strings instead of allocating its own, and numbers them for
	// the shape cache.
	names map[string]name
	// ids numbers the fields of the text being parsed, by name (0: a name
	// not interned).
	ids []uint32
	// shapes caches, per sequence of names, the order that sorts them.
	shapes shapeCache
	// lastFields is the field count of the previous text, used to size the
	// next event's field slice in one allocation.
	lastFields int
}

// Interning limits: a name longer than maxInternLen is not interned, and
// the table is cleared when it reaches maxInterned entries, so that a
// stream of random keys cannot grow it without bound.
const (
	maxInternLen = 256
	maxInterned  = 4096
)

// name is an interned field name and its number.
type name struct {
	s  string
	id uint32
}

var parserPool = sync.Pool{New: func() any { return new(parser) }}

func getParser() *parser { return parserPool.Get().(*parser) }

func putParser(p *parser) {
	p.s, p.e = "", nil
	if cap(p.path) > 4096 {
		p.path = nil
	}
	if cap(p.ids) > 4096 {
		p.ids = nil
	}
	parserPool.Put(p)
}

// flatten is Flatten with this parser.
func (p *parser) flatten(prefix string, raw []byte, e *event.Event) error {
	n := len(e.Fields)
	err := p.run(prefix, raw, e)
	if err != nil {
		clear(e.Fields[n:])
		e.Fields = e.Fields[:n]
	}
	return err
}

// object flattens raw, which must hold a JSON object, into e.
func (p *parser) object(raw []byte, e *event.Event) error {
	i := 0
	for i < len(raw) && isSpace(raw[i]) {
		i++
	}
	if i < len(raw) && raw[i] != '{' {
		return ErrNotObject
	}
	return p.flatten("", raw, e)
}

func (p *parser) run(prefix string, raw []byte, e *event.Event) error {
	p.s = string(raw)
	p.pos, p.depth = 0, 0
	p.path = append(p.path[:0], prefix...)
	p.named = prefix != ""
	p.e = e
	if cap(e.Fields)-len(e.Fields) < p.lastFields {
		fields := make([]event.Field, len(e.Fields), len(e.Fields)+p.lastFields+8)
		copy(fields, e.Fields)
		e.Fields = fields
	}
	n := len(e.Fields)
	p.ids = p.ids[:0]
	if !utf8.ValidString(p.s) {
		p.pos = firstInvalidUTF8(p.s)
		return p.fail("invalid UTF-8")
	}
	if err := p.value(); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return p.fail("unexpected data after the value")
	}
	p.lastFields = len(e.Fields) - n
	p.shapes.sort(e.Fields[n:], p.ids)
	return nil
}

func firstInvalidUTF8(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(s)
}

func (p *parser) fail(msg string) error { return &SyntaxError{Offset: p.pos, Msg: msg} }

// errNoName is returned for a scalar that has no field name: a bare value,
// or an array of them, given to Flatten with an empty prefix.
var errNoName = errors.New("a value outside any object has no field name")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && isSpace(p.s[p.pos]) {
		p.pos++
	}
}

// add appends one field named by the current path.
func (p *parser) add(value string, t event.Type) error {
	if !p.named {
		return errNoName
	}
	n := p.name()
	p.e.Fields = append(p.e.Fields, event.Field{Name: n.s, Value: value, Type: t})
	p.ids = append(p.ids, n.id)
	return nil
}

// name returns the current path as an interned string, with its number.
func (p *parser) name() name {
	if n, ok := p.names[string(p.path)]; ok {
		return n
	}
	s := string(p.path)
	if len(s) > maxInternLen {
		return name{s: s}
	}
	if p.names == nil {
		p.names = make(map[string]name)
	}
	if len(p.names) >= maxInterned {
		// Numbers are about to be reused: forget the shapes made of them.
		clear(p.names)
		p.shapes.reset()
	}
	n := name{s: s, id: uint32(len(p.names) + 1)}
	p.names[s] = n
	return n
}

// value parses the value at p.pos and adds its fields.
func (p *parser) value() error {
	p.skipSpace()
	if p.pos >= len(p.s) {
		return p.fail("unexpected end of input")
	}
	switch c := p.s[p.pos]; c {
	case '{':
		return p.objectValue()
	case '[':
		return p.arrayValue()
	case '"':
		v, err := p.str()
		if err != nil {
			return err
		}
		return p.add(v, event.String)
	case 't':
		return p.literal("true", event.Bool)
	case 'f':
		return p.literal("false", event.Bool)
	case 'n':
		return p.literal("null", event.Null)
	default:
		if c == '-' || isDigit(c) {
			return p.number()
		}
		return p.fail(fmt.Sprintf("unexpected character %q", c))
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return p.fail(fmt.Sprintf("nesting deeper than %d levels", MaxDepth))
	}
	return nil
}

func (p *parser) objectValue() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '{'
	base, named := len(p.path), p.named
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return p.fail("expected a string key")
		}
		if named {
			p.path = append(p.path, '.')
		}
		if err := p.appendKey(); err != nil {
			return err
		}
		p.named = true
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return p.fail("expected ':' after a key")
		}
		p.pos++
		if err := p.value(); err != nil {
			return err
		}
		p.path, p.named = p.path[:base], named
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.fail("unexpected end of input in an object")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) arrayValue() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '['
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		if err := p.value(); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.fail("unexpected end of input in an array")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return nil
		default:
			return p.fail("expected ',' or ']' in an array")
		}
	}
}

func (p *parser) literal(word string, t event.Type) error {
	if len(p.s)-p.pos < len(word) || p.s[p.pos:p.pos+len(word)] != word {
		return p.fail("invalid literal")
	}
	p.pos += len(word)
	if t == event.Null {
		return p.add("", t)
	}
	return p.add(word, t)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// number adds the number at p.pos, keeping its text, after checking it
// against the JSON grammar.
func (p *parser) number() error {
	start := p.pos
	if p.s[p.pos] == '-' {
		p.pos++
	}
	switch {
	case p.pos < len(p.s) && p.s[p.pos] == '0':
		p.pos++
	case p.pos < len(p.s) && isDigit(p.s[p.pos]):
		p.digits()
	default:
		return p.fail("invalid number")
	}
	if p.pos < len(p.s) && p.s[p.pos] == '.' {
		p.pos++
		if p.digits() == 0 {
			return p.fail("invalid number: no digit after '.'")
		}
	}
	if p.pos < len(p.s) && (p.s[p.pos] == 'e' || p.s[p.pos] == 'E') {
		p.pos++
		if p.pos < len(p.s) && (p.s[p.pos] == '+' || p.s[p.pos] == '-') {
			p.pos++
		}
		if p.digits() == 0 {
			return p.fail("invalid number: no digit in the exponent")
		}
	}
	return p.add(p.s[start:p.pos], event.Number)
}

func (p *parser) digits() int {
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	return p.pos - start
}

// plain marks the bytes that end a run of ordinary string content: the
// closing quote, a backslash and the control characters JSON forbids.
var plain = func() (t [256]bool) {
	for i := range t {
		t[i] = i >= 0x20 && i != '"' && i != '\\'
	}
	return t
}()

// span scans the string starting at p.pos (on its opening quote) and
// returns the bounds of its content and whether it holds escapes. It leaves
// p.pos after the closing quote.
func (p *parser) span() (start, end int, escaped bool, err error) {
	p.pos++
	start = p.pos
	for {
		p.skipPlain()
		if p.pos >= len(p.s) {
			return 0, 0, false, p.fail("unterminated string")
		}
		switch c := p.s[p.pos]; {
		case c == '"':
			end = p.pos
			p.pos++
			return start, end, escaped, nil
		case c == '\\':
			escaped = true
			if err := p.escape(); err != nil {
				return 0, 0, false, err
			}
		default:
			return 0, 0, false, p.fail(fmt.Sprintf("control character %#02x in a string", c))
		}
	}
}

// Word-at-a-time constants for skipPlain.
const (
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
	quotes = '"' * ones
	slashs = '\\' * ones
	spaces = 0x20 * ones
)

// skipPlain moves p.pos past ordinary string content, eight bytes at a time
// while no byte of the word is a quote, a backslash or below 0x20 (the
// classic "has zero byte" and "has byte less than" bit tricks), then byte by
// byte. It makes string scanning about twice as fast on Windows event
// messages (BenchmarkDecode).
func (p *parser) skipPlain() {
	s, i := p.s, p.pos
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, b := w^quotes, w^slashs
		if ((q-ones)&^q|(b-ones)&^b|(w-spaces)&^w)&highs != 0 {
			break
		}
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	p.pos = i
}

// escape checks the escape sequence at p.pos and moves past it.
func (p *parser) escape() error {
	if p.pos+1 >= len(p.s) {
		return p.fail("unterminated escape")
	}
	switch p.s[p.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		p.pos += 2
		return nil
	case 'u':
		if len(p.s)-p.pos < 6 {
			return p.fail("short \\u escape")
		}
		for i := 2; i < 6; i++ {
			if unhex(p.s[p.pos+i]) < 0 {
				return p.fail("invalid \\u escape")
			}
		}
		p.pos += 6
		return nil
	default:
		return p.fail(fmt.Sprintf("invalid escape \\%c", p.s[p.pos+1]))
	}
}

// str returns the string at p.pos, unescaped. An unescaped string is a
// slice of p.s and costs no allocation.
func (p *parser) str() (string, error) {
	start, end, escaped, err := p.span()
	if err != nil {
		return "", err
	}
	if !escaped {
		return p.s[start:end], nil
	}
	return string(unescape(make([]byte, 0, end-start), p.s[start:end])), nil
}

// appendKey appends the key at p.pos, unescaped, to p.path.
func (p *parser) appendKey() error {
	start, end, escaped, err := p.span()
	if err != nil {
		return err
	}
	if escaped {
		p.path = unescape(p.path, p.s[start:end])
	} else {
		p.path = append(p.path, p.s[start:end]...)
	}
	return nil
}

// unescape appends the content of a JSON string, whose escapes span has
// already checked, to dst. A \u escape of a lone surrogate becomes U+FFFD,
// as encoding/json does.
func unescape(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '\\')
		if j < 0 {
			return append(dst, s[i:]...)
		}
		dst = append(dst, s[i:i+j]...)
		i += j
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[i+2:])
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2 := utf16.DecodeRune(r, hex4(s[i+2:])); r2 != utf8.RuneError {
						dst = utf8.AppendRune(dst, r2)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default: // '"', '\\', '/'
			dst = append(dst, s[i+1])
		}
		i += 2
	}
	return dst
}

func hex4(s string) rune {
	return rune(unhex(s[0])<<12 | unhex(s[1])<<8 | unhex(s[2])<<4 | unhex(s[3]))
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}
