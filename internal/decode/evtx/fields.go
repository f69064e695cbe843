package evtx

import (
	"encoding/hex"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vigie-sec/vigie/internal/event"
	"www.velocidex.com/golang/evtx"
)

// maxNodes bounds the values and elements rendered for one record. The
// parser shares sub-trees between template instances, so a small crafted
// record can expand to a tree far larger than itself; real records have a
// few hundred nodes.
const maxNodes = 1 << 14

// errTooLarge is the reason given for a record whose parsed tree exceeds
// maxNodes.
var errTooLarge = errors.New("record expands to more than 16384 values")

// dict is the part of the parser's ordered dictionary
// (github.com/Velocidex/ordereddict.Dict) that rendering needs.
type dict interface {
	Keys() []string
	Get(key string) (any, bool)
}

// naming says how the values under an element are named as fields.
type naming uint8

const (
	// joinNames joins the element names of the path with "_", skipping
	// "Value" (an element's text beside its attributes): System's
	// Provider/Name becomes Provider_Name, EventID/Value becomes EventID.
	joinNames naming = iota
	// leafNames names a value after its own element or attribute.
	leafNames
	// noField renders JSON only.
	noField
)

func childName(parent, key string, how naming) string {
	switch {
	case how == noField || strings.HasPrefix(key, "xmlns"):
		// The parser drops "xmlns" attributes but keeps prefixed
		// ones ("xmlns:auto-ns3"): namespace declarations, not data.
		return ""
	case key == "Value":
		return parent
	case how == joinNames && parent != "":
		return parent + "_" + key
	default:
		return key
	}
}

// recordWriter renders one parsed record as fields and canonical JSON.
type recordWriter struct {
	e       *event.Event
	json    []byte
	args    []arg
	strArgs bool // args has values the parser rendered as raw bytes
	nodes   int
	err     error
	created time.Time // TimeCreated/SystemTime
}

// buildEvent turns a parsed record into an event. args are the record's
// substitution arguments, as the scanner read them. A record that cannot
// be rendered gives an event of kind KindPipelineError.
func buildEvent(rec *evtx.EventRecord, args []arg) *event.Event {
	w := recordWriter{
		e:    &event.Event{Format: "evtx", Fields: make([]event.Field, 0, 32)},
		json: make([]byte, 0, 1024),
		args: args,
	}
	for i := range args {
		if !fixedWidth(args[i].typ) {
			w.strArgs = true
		}
	}
	w.e.Time = fileTime(rec.Header.FileTime)
	root, ok := rec.Event.(dict)
	var ev any
	if ok {
		ev, ok = root.Get("Event")
	}
	if _, isDict := ev.(dict); !ok || !isDict {
		w.e.MarkMalformed(errors.New("record has no Event element"))
		return w.e
	}
	w.object(root, func(k string, v any) {
		if k == "Event" {
			w.event(v)
		} else {
			w.walk(v, k, joinNames)
		}
	})
	if w.err != nil {
		w.e.MarkMalformed(w.err)
		return w.e
	}
	if !w.created.IsZero() {
		w.e.Time = w.created
	}
	w.e.Raw = w.json
	normalise(w.e)
	return w.e
}

// event renders the Event element, whose children are the sections System,
// EventData, UserData and sometimes others (RenderingInfo,
// ProcessingErrorData).
func (w *recordWriter) event(v any) {
	d, ok := v.(dict)
	if !ok {
		w.walk(v, "Event", leafNames)
		return
	}
	w.object(d, func(k string, v any) {
		switch k {
		case "System":
			w.walk(v, "", joinNames)
		case "EventData":
			w.eventData(v)
		case "UserData":
			w.walk(v, "", leafNames)
		default:
			w.walk(v, k, joinNames)
		}
	})
}

// eventData renders EventData. The parser turns a list of named Data
// elements into a dictionary by name; when some are unnamed it keeps the
// list, of {Name, Value} dictionaries and bare values.
func (w *recordWriter) eventData(v any) {
	d, ok := v.(dict)
	if !ok {
		w.walk(v, "EventData", leafNames)
		return
	}
	w.object(d, func(k string, v any) {
		if k != "Data" {
			w.walk(v, k, leafNames)
			return
		}
		if items, ok := v.([]any); ok {
			w.array(len(items), func(i int) { w.dataItem(items[i]) })
			return
		}
		w.dataItem(v)
	})
}

// dataItem renders one EventData/Data element: named by its Name
// attribute, or a repeated "Data" field.
func (w *recordWriter) dataItem(v any) {
	d, ok := v.(dict)
	if !ok {
		w.walk(v, "Data", leafNames)
		return
	}
	nameValue, _ := d.Get("Name")
	name, ok := nameValue.(string)
	if !ok {
		w.walk(v, "Data", leafNames)
		return
	}
	if _, hasValue := d.Get("Value"); !hasValue {
		w.e.AddTyped(name, "", event.Null)
	}
	w.object(d, func(k string, v any) {
		switch k {
		case "Name":
			w.walk(v, "", noField)
		case "Value":
			w.walk(v, name, leafNames)
		default:
			w.walk(v, k, leafNames)
		}
	})
}

// object writes d as a JSON object, calling value to write each member's
// value.
func (w *recordWriter) object(d dict, value func(k string, v any)) {
	w.json = append(w.json, '{')
	for i, k := range d.Keys() {
		if w.err != nil {
			return
		}
		if i > 0 {
			w.json = append(w.json, ',')
		}
		w.json = appendString(w.json, k)
		w.json = append(w.json, ':')
		v, _ := d.Get(k)
		value(k, v)
	}
	w.json = append(w.json, '}')
}

func (w *recordWriter) array(n int, item func(i int)) {
	w.json = append(w.json, '[')
	for i := range n {
		if w.err != nil {
			return
		}
		if i > 0 {
			w.json = append(w.json, ',')
		}
		item(i)
	}
	w.json = append(w.json, ']')
}

// walk renders v, naming the fields under it from name as how says.
func (w *recordWriter) walk(v any, name string, how naming) {
	if w.nodes++; w.nodes > maxNodes {
		if w.err == nil {
			w.err = errTooLarge
		}
		return
	}
	switch x := v.(type) {
	case dict:
		w.object(x, func(k string, v any) { w.walk(v, childName(name, k, how), how) })
	case []any:
		w.array(len(x), func(i int) { w.walk(x[i], name, how) })
	case []string:
		w.array(len(x), func(i int) { w.value(name, x[i], event.String) })
	default:
		w.leaf(x, name)
	}
}

// value adds one field, unless name is empty, and writes its JSON.
func (w *recordWriter) value(name, s string, t event.Type) {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if name != "" {
		w.e.AddTyped(name, s, t)
	}
	switch t {
	case event.Null:
		w.json = append(w.json, "null"...)
	case event.String:
		w.json = appendString(w.json, s)
	default:
		w.json = append(w.json, s...)
	}
}

// leaf renders one value of the parsed record, using the declared type of
// the argument it came from where the parser lost it.
func (w *recordWriter) leaf(v any, name string) {
	switch x := v.(type) {
	case nil:
		w.value(name, "", event.Null)
	case string:
		if a := w.matchString(x); a != nil {
			w.typed(a, name)
			return
		}
		w.value(name, x, event.String)
	case bool:
		w.value(name, strconv.FormatBool(x), event.Bool)
	case uint8:
		w.value(name, strconv.FormatUint(uint64(x), 10), event.Number)
	case uint16:
		w.value(name, strconv.FormatUint(uint64(x), 10), event.Number)
	case uint32:
		w.number(uint64(x), typeUint32, typeHex32, name)
	case uint64:
		w.number(x, typeUint64, typeHex64, name)
	case float64:
		// Only FILETIME arguments become floats: seconds since 1970,
		// which a float64 holds to about 0.2 µs. The argument has the
		// exact value.
		if a := w.match(func(a *arg) bool { return a.typ == typeFileTime && filetimeSeconds(a.num) == x }); a != nil {
			w.timeValue(name, fileTime(a.num))
			return
		}
		sec, frac := math.Modf(x)
		w.timeValue(name, time.Unix(int64(sec), int64(math.Round(frac*1e7))*100).UTC())
	case []byte:
		w.value(name, strings.ToUpper(hex.EncodeToString(x)), event.String)
	default:
		w.value(name, "", event.Null)
	}
}

// timeValue renders a time, and takes TimeCreated/SystemTime as the
// event's time.
func (w *recordWriter) timeValue(name string, t time.Time) {
	if name == "TimeCreated_SystemTime" {
		w.created = t
	}
	w.value(name, t.Format(time.RFC3339Nano), event.String)
}

// number renders an unsigned integer, in hex when its argument was
// declared as HexInt32 or HexInt64.
func (w *recordWriter) number(v uint64, plain, hexType uint16, name string) {
	a := w.match(func(a *arg) bool { return (a.typ == plain || a.typ == hexType) && a.num == v })
	if a != nil && a.typ == hexType {
		w.value(name, "0x"+strconv.FormatUint(v, 16), event.String)
		return
	}
	w.value(name, strconv.FormatUint(v, 10), event.Number)
}

// matchString finds the argument that a string value came from when the
// record has arguments the parser rendered as raw bytes.
func (w *recordWriter) matchString(s string) *arg {
	if !w.strArgs {
		return nil
	}
	a := w.match(func(a *arg) bool {
		if a.typ == typeString {
			return string(evtx.UTF16LEToUTF8(a.data)) == s
		}
		return !fixedWidth(a.typ) && strings.TrimRight(string(a.data), "\x00") == s
	})
	if a == nil || a.typ == typeString || a.typ == typeAnsi {
		return nil
	}
	return a
}

// match returns the first argument, in reading order, for which ok holds
// and that no value was matched to yet; or, when all were, the first.
// Values equal under the parser's rendering but of different types can
// only be told apart by order; anything else is exact.
func (w *recordWriter) match(ok func(a *arg) bool) *arg {
	var first *arg
	for i := range w.args {
		a := &w.args[i]
		if !ok(a) {
			continue
		}
		if !a.used {
			a.used = true
			return a
		}
		if first == nil {
			first = a
		}
	}
	return first
}

// fixedWidth reports whether the scanner records arguments of type t by
// number rather than by bytes.
func fixedWidth(t uint16) bool {
	switch t {
	case typeUint32, typeHex32, typeUint64, typeHex64, typeFileTime, typeString:
		return true
	}
	return false
}

// typed renders an argument the parser kept as the string of its raw bytes.
func (w *recordWriter) typed(a *arg, name string) {
	base := a.typ &^ typeArray
	size := fixedSize(base)
	switch {
	case size == 0 || len(a.data)%size != 0 || len(a.data) == 0:
		w.value(name, strings.TrimRight(string(a.data), "\x00"), event.String)
	case a.typ&typeArray == 0 && len(a.data) == size:
		w.scalar(base, a.data, name)
	case a.typ&typeArray != 0:
		w.array(len(a.data)/size, func(i int) { w.scalar(base, a.data[i*size:(i+1)*size], name) })
	default:
		w.value(name, strings.TrimRight(string(a.data), "\x00"), event.String)
	}
}

// fixedSize is the size of a value of type t, or 0 when it varies or the
// parser renders it itself.
func fixedSize(t uint16) int {
	switch t {
	case typeInt8, typeUint8:
		return 1
	case typeInt16, typeUint16:
		return 2
	case typeInt32, typeUint32, typeHex32, typeReal32:
		return 4
	case typeInt64, typeUint64, typeHex64, typeReal64, typeFileTime:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// scalar renders one value of fixed-size type t from b.
func (w *recordWriter) scalar(t uint16, b []byte, name string) {
	num := func(s string) { w.value(name, s, event.Number) }
	switch t {
	case typeInt8:
		num(strconv.Itoa(int(int8(b[0]))))
	case typeUint8:
		num(strconv.Itoa(int(b[0])))
	case typeInt16:
		num(strconv.Itoa(int(int16(le.Uint16(b)))))
	case typeUint16:
		num(strconv.Itoa(int(le.Uint16(b))))
	case typeInt32:
		num(strconv.Itoa(int(int32(le.Uint32(b)))))
	case typeUint32:
		num(strconv.FormatUint(uint64(le.Uint32(b)), 10))
	case typeHex32:
		w.value(name, "0x"+strconv.FormatUint(uint64(le.Uint32(b)), 16), event.String)
	case typeInt64:
		num(strconv.FormatInt(int64(le.Uint64(b)), 10))
	case typeUint64:
		num(strconv.FormatUint(le.Uint64(b), 10))
	case typeHex64:
		w.value(name, "0x"+strconv.FormatUint(le.Uint64(b), 16), event.String)
	case typeReal32:
		num(strconv.FormatFloat(float64(math.Float32frombits(le.Uint32(b))), 'g', -1, 32))
	case typeReal64:
		num(strconv.FormatFloat(math.Float64frombits(le.Uint64(b)), 'g', -1, 64))
	case typeFileTime:
		w.timeValue(name, fileTime(le.Uint64(b)))
	case typeGUID:
		w.value(name, guid(b), event.String)
	case typeSysTime:
		w.value(name, sysTime(b), event.String)
	}
}

// filetimeSeconds converts a FILETIME to seconds since 1970 exactly as the
// parser does (evtx.go: filetimeToUnixtime), so that its floats can be
// matched.
func filetimeSeconds(ft uint64) float64 {
	return (float64(ft) - 11644473600000*10000) / 10000000
}

// fileTime converts a FILETIME (100 ns intervals since 1601) to a time.
func fileTime(ft uint64) time.Time {
	const epochDelta = 11644473600 // seconds from 1601 to 1970
	return time.Unix(int64(ft/1e7)-epochDelta, int64(ft%1e7)*100).UTC()
}

// sysTime renders a SYSTEMTIME: year, month, weekday, day, hour, minute,
// second and millisecond as 16-bit numbers.
func sysTime(b []byte) string {
	f := func(i int) int { return int(le.Uint16(b[2*i:])) }
	t := time.Date(f(0), time.Month(f(1)), f(3), f(4), f(5), f(6), f(7)*1e6, time.UTC)
	return t.Format(time.RFC3339Nano)
}

// guid renders a GUID the way the parser does.
func guid(b []byte) string {
	g := evtx.EvtxGUID{D: le.Uint32(b), W1: le.Uint16(b[4:]), W2: le.Uint16(b[6:])}
	copy(g.B[:], b[8:16])
	return g.ToString()
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
