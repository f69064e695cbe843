package scope

import (
	"slices"
	"strings"

	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// none matches no event.
var none query.Expr = &query.Not{Operand: &query.All{}}

// anyOf is the OR of exprs; none when there are none.
func anyOf(exprs ...query.Expr) query.Expr {
	exprs = slices.DeleteFunc(exprs, func(e query.Expr) bool { return e == none })
	switch len(exprs) {
	case 0:
		return none
	case 1:
		return exprs[0]
	}
	return &query.Or{Operands: exprs}
}

func allOf(exprs ...query.Expr) query.Expr { return &query.And{Operands: exprs} }

// terms matches field equal to any of values (case-insensitive).
func terms(field string, values []string) query.Expr {
	var ops []query.Expr
	for _, v := range values {
		if v != "" {
			ops = append(ops, &query.Term{Field: field, Value: v})
		}
	}
	return anyOf(ops...)
}

// globEscape escapes the wildcard characters of a literal.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)
	return r.Replace(s)
}

// hostTerms matches a host by its key: the short name itself or any
// name under it ("ws-003" and "ws-003.corp.example").
func hostTerms(keys []string) query.Expr {
	var ops []query.Expr
	for _, k := range keys {
		ops = append(ops, &query.Term{Field: event.HostName, Value: k})
		if !strings.Contains(k, ":") && !isIPv4(k) {
			p := globEscape(k) + ".*"
			ops = append(ops, &query.Term{Field: event.HostName, Value: k + ".*", Wildcard: true, Pattern: p})
		}
	}
	return anyOf(ops...)
}

func isIPv4(s string) bool {
	for _, c := range s {
		if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

func (b *builder) accountNames() []string {
	var out []string
	for _, a := range b.accounts {
		out = append(out, a.Name)
	}
	slices.Sort(out)
	return out
}

func (b *builder) hostKeys() []string {
	var out []string
	for k := range b.hosts {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (b *builder) addressList() []string {
	var out []string
	for a := range b.addrs {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
