package sigma

import (
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// source is a rule file's text, for turning offsets inside decoded YAML
// scalars back into file positions.
type source struct {
	data       []byte
	lineStarts []int // byte offset of each line; computed on first use
}

// offset returns the byte offset of a 1-based line and rune column, as
// yaml.Node reports them, clamped to the data.
func (s *source) offset(pos Pos) int {
	if s.lineStarts == nil {
		s.lineStarts = []int{0}
		for i := 0; i < len(s.data); {
			if n := lineBreak(s.data, i); n > 0 {
				i += n
				s.lineStarts = append(s.lineStarts, i)
			} else {
				i++
			}
		}
	}
	if pos.Line < 1 || pos.Line > len(s.lineStarts) {
		return len(s.data)
	}
	off := s.lineStarts[pos.Line-1]
	for col := 1; col < pos.Col && off < len(s.data) && lineBreak(s.data, off) == 0; col++ {
		_, size := utf8.DecodeRune(s.data[off:])
		off += size
	}
	return off
}

// scalarPositions returns the file position of each rune of the decoded
// value of the scalar n, plus one for the end of the value. It walks the
// source from the node's position and aligns each decoded rune with the
// source rune that produced it: quotes, doubled single quotes, escapes of
// double-quoted scalars, line folding and block indentation are skipped.
func (s *source) scalarPositions(n *yaml.Node) []Pos {
	value := []rune(n.Value)
	out := make([]Pos, 0, len(value)+1)
	line, col := n.Line, n.Column
	off := s.offset(Pos{n.Line, n.Column})
	data := s.data
	// advance moves over one source rune, keeping line and col.
	advance := func() {
		if off >= len(data) {
			return
		}
		if n := lineBreak(data, off); n > 0 {
			off += n
			line, col = line+1, 1
			return
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
		col++
	}
	switch {
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		advance() // the opening quote
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		for off < len(data) && lineBreak(data, off) == 0 {
			advance() // the header: "|", ">-", "|2", a comment
		}
		advance()
	}
	single := n.Style&yaml.SingleQuotedStyle != 0
	double := n.Style&yaml.DoubleQuotedStyle != 0
	for _, want := range value {
		before := len(out)
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if double && r == '\\' && off+1 < len(data) {
				next := data[off+1]
				if lineBreak(data, off+1) > 0 {
					advance() // a line continuation produces nothing
					continue
				}
				out = append(out, Pos{line, col})
				length := 2
				switch next {
				case 'x':
					length = 4
				case 'u':
					length = 6
				case 'U':
					length = 10
				}
				for range length {
					advance()
				}
				break
			}
			if single && r == '\'' && off+size < len(data) && data[off+size] == '\'' {
				out = append(out, Pos{line, col})
				advance()
				advance()
				break
			}
			if r == want || want == '\n' && lineBreak(data, off) > 0 {
				out = append(out, Pos{line, col})
				advance()
				break
			}
			advance()
		}
		if len(out) == before { // the source ended first
			out = append(out, Pos{line, col})
		}
	}
	for len(out) < len(value)+1 {
		out = append(out, Pos{line, col})
	}
	return out
}

// textPositions returns the position, relative to text, of each rune of
// text and of its end.
func textPositions(text string) []Pos {
	out := make([]Pos, 0, len(text)+1)
	pos := Pos{Line: 1, Col: 1}
	for _, r := range text {
		out = append(out, pos)
		if r == '\n' {
			pos.Line++
			pos.Col = 1
		} else {
			pos.Col++
		}
	}
	return append(out, pos)
}

// lineBreak returns the length of the line break at data[off:], or 0.
// Like YAML, it counts CR LF, CR, LF, NEL, LS and PS as line breaks.
func lineBreak(data []byte, off int) int {
	switch {
	case off >= len(data):
		return 0
	case data[off] == '\n':
		return 1
	case data[off] == '\r':
		if off+1 < len(data) && data[off+1] == '\n' {
			return 2
		}
		return 1
	case data[off] == 0xC2 && off+1 < len(data) && data[off+1] == 0x85:
		return 2 // NEL
	case data[off] == 0xE2 && off+2 < len(data) && data[off+1] == 0x80 && (data[off+2] == 0xA8 || data[off+2] == 0xA9):
		return 3 // LS, PS
	}
	return 0
}

// countLines returns the number of lines of data as YAML counts them,
// the empty text after a final line break included.
func countLines(data []byte) int {
	n := 1
	for i := 0; i < len(data); {
		if b := lineBreak(data, i); b > 0 {
			n++
			i += b
		} else {
			i++
		}
	}
	return n
}
