package sqlite

import (
	"github.com/vigie-sec/vigie/internal/event"
	"github.com/vigie-sec/vigie/internal/query"
)

// matcher decides whether a candidate event matches the query.
type matcher interface {
	Match(*event.Event) bool
}

// compile returns the matcher of e, or nil when e matches every event.
func compile(e query.Expr) (matcher, error) {
	if isAll(e) {
		return nil, nil
	}
	return query.Compile(e)
}
