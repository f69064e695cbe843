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
		for i, c := range s.data {
			if c == '\n' {
				s.lineStarts = append(s.lineStarts, i+1)
			}
		}
	}
	if pos.Line < 1 || pos.Line > len(s.lineStarts) {
		return len(s.data)
	}
	off := s.lineStarts[pos.Line-1]
	for col := 1; col < pos.Col && off < len(s.data) && s.data[off] != '\n'; col++ {
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
		r, size := utf8.DecodeRune(data[off:])
		off += size
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	switch {
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0:
		advance() // the opening quote
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		for off < len(data) && data[off] != '\n' {
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
				if next == '\n' || next == '\r' {
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
			if r == want {
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

// runeOffsetPos converts a rune offset in text into a 1-based position
// relative to text.
func runeOffsetPos(text string, offset int) Pos {
	pos := Pos{Line: 1, Col: 1}
	i := 0
	for _, r := range text {
		if i == offset {
			break
		}
		if r == '\n' {
			pos.Line++
			pos.Col = 1
		} else {
			pos.Col++
		}
		i++
	}
	return pos
}
