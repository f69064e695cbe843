package chart

import (
	"encoding/xml"
	"html/template"
	"strconv"
	"strings"
	"testing"
)

// element is a parsed SVG element, for structural assertions.
type element struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []element  `xml:",any"`
	Text     string     `xml:",chardata"`
}

// parse decodes out as strict XML, failing the test if it is not
// well-formed or its root is not <svg>.
func parse(t *testing.T, out template.HTML) element {
	t.Helper()
	var root element
	if err := xml.Unmarshal([]byte(out), &root); err != nil {
		t.Fatalf("output is not well-formed XML: %v\n%s", err, out)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root is <%s>, want <svg>", root.XMLName.Local)
	}
	return root
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (e element) float(t *testing.T, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(e.attr(name), 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", e.XMLName.Local, name, e.attr(name), err)
	}
	return v
}

// hasClass reports whether e's class attribute lists class.
func (e element) hasClass(class string) bool {
	for _, c := range strings.Fields(e.attr("class")) {
		if c == class {
			return true
		}
	}
	return false
}

// all lists e and its descendants, in document order, that match.
func (e element) all(match func(element) bool) []element {
	var out []element
	if match(e) {
		out = append(out, e)
	}
	for _, c := range e.Children {
		out = append(out, c.all(match)...)
	}
	return out
}

func tagged(tag, class string) func(element) bool {
	return func(e element) bool {
		return e.XMLName.Local == tag && (class == "" || e.hasClass(class))
	}
}

// texts lists the text of the <text> elements with class.
func (e element) texts(class string) []string {
	var out []string
	for _, t := range e.all(tagged("text", class)) {
		out = append(out, t.Text)
	}
	return out
}

// child returns e's first child with tag.
func (e element) child(tag string) (element, bool) {
	for _, c := range e.Children {
		if c.XMLName.Local == tag {
			return c, true
		}
	}
	return element{}, false
}

// checkAccessible asserts the root names itself as an image with title.
func checkAccessible(t *testing.T, root element, title string) {
	t.Helper()
	if got := root.attr("role"); got != "img" {
		t.Errorf("role = %q, want img", got)
	}
	if got := root.attr("aria-label"); got != title {
		t.Errorf("aria-label = %q, want %q", got, title)
	}
	if got, ok := root.child("title"); !ok || got.Text != title {
		t.Errorf("<title> = %q, want %q", got.Text, title)
	}
}

// checkNoStyle asserts no element carries a style attribute or element,
// which the console's Content-Security-Policy would refuse.
func checkNoStyle(t *testing.T, root element) {
	t.Helper()
	for _, e := range root.all(func(element) bool { return true }) {
		if e.XMLName.Local == "style" || e.attr("style") != "" {
			t.Errorf("<%s> carries a style", e.XMLName.Local)
		}
	}
}
