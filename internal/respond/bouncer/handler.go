package bouncer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// Limits on a request's filters.
const (
	maxQuery      = 4096
	maxFilterList = 32
)

// ServeHTTP implements http.Handler for /v1/decisions/stream and
// /v1/decisions. Mount it at the root of the Local API's address (or
// strip any prefix before it).
func (b *Bouncer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		reply(w, r, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed"})
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path != "/v1/decisions/stream" && path != "/v1/decisions" {
		reply(w, r, http.StatusNotFound, map[string]string{"message": "page not found"})
		return
	}
	name, ok, err := b.authenticate(r.Context(), r.Header.Get("X-Api-Key"))
	if err != nil {
		reply(w, r, http.StatusInternalServerError, map[string]string{"message": "key lookup failed"})
		return
	}
	if !ok {
		reply(w, r, http.StatusForbidden, map[string]string{"message": "access forbidden"})
		return
	}
	if len(r.URL.RawQuery) > maxQuery {
		reply(w, r, http.StatusBadRequest, map[string]string{"message": "query too long"})
		return
	}
	if path == "/v1/decisions/stream" {
		b.serveStream(w, r, name)
		return
	}
	b.serveLive(w, r)
}

// serveStream answers a stream pull. HEAD does not move the cursor, as
// with CrowdSec.
func (b *Bouncer) serveStream(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	f := streamFilter{
		scopes:        list(q.Get("scopes")),
		origins:       list(q.Get("origins")),
		containing:    list(q.Get("scenarios_containing")),
		notContaining: list(q.Get("scenarios_not_containing")),
	}
	if f.scopes == nil {
		f.scopes = []string{"ip", "range"}
	}
	added, deleted := b.stream(name, q.Get("startup") == "true", f)
	reply(w, r, http.StatusOK, struct {
		New     []*Decision `json:"new"`
		Deleted []*Decision `json:"deleted"`
	}{added, deleted})
}

// serveLive answers a live query: the blocks in force that contain ip=,
// or contain (contains=false: are within) range=, or have scope= and
// value=.
func (b *Bouncer) serveLive(w http.ResponseWriter, r *http.Request) {
	match, err := liveMatch(r.URL.Query())
	if err != nil {
		reply(w, r, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	reply(w, r, http.StatusOK, b.matching(match))
}

// liveMatch compiles a live query.
func liveMatch(q map[string][]string) (func(entry) bool, error) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	if t := get("type"); t != "" && !strings.EqualFold(t, "ban") {
		return func(entry) bool { return false }, nil
	}
	conds := []func(entry) bool{}
	if s := get("ip"); s != "" {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("ip %q: not an IP address", s)
		}
		a = a.Unmap().WithZone("")
		conds = append(conds, func(e entry) bool { return e.prefix.Contains(a) })
	}
	if s := get("range"); s != "" {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("range %q: not a CIDR range", s)
		}
		p = p.Masked()
		if get("contains") == "false" {
			conds = append(conds, func(e entry) bool { return p.Bits() <= e.prefix.Bits() && p.Contains(e.prefix.Addr()) })
		} else {
			conds = append(conds, func(e entry) bool { return e.prefix.Bits() <= p.Bits() && e.prefix.Contains(p.Addr()) })
		}
	}
	if s := get("scope"); s != "" {
		conds = append(conds, func(e entry) bool { return strings.EqualFold(scopeName(e), s) })
	}
	if s := get("value"); s != "" {
		conds = append(conds, func(e entry) bool { return e.decision.Value == s })
	}
	return func(e entry) bool {
		for _, c := range conds {
			if !c(e) {
				return false
			}
		}
		return true
	}, nil
}

func scopeName(e entry) string {
	if e.decision.Scope == "range" {
		return "Range"
	}
	return "Ip"
}

// list splits a comma-separated filter, keeping at most maxFilterList
// entries.
func list(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.SplitN(s, ",", maxFilterList+1)
	out := parts[:0]
	for _, p := range parts[:min(len(parts), maxFilterList)] {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// reply writes v as JSON; HEAD gets the status only.
func reply(w http.ResponseWriter, r *http.Request, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	json.NewEncoder(w).Encode(v)
}
