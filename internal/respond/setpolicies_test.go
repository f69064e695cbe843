package respond

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/event"
)

// SetPolicies changes what OnAlert does from the next alert on, and an
// invalid set changes nothing.
func TestSetPolicies(t *testing.T) {
	ctx := context.Background()
	m, _, _, _ := newManager(t, Config{}, &recorder{name: "fw"})
	alert := successAfter("198.51.100.23", "jdoe", 55)
	if ds, err := m.OnAlert(ctx, alert); err != nil || len(ds) != 0 {
		t.Fatalf("OnAlert without policies = %d decisions, %v; want none", len(ds), err)
	}
	if err := m.SetPolicies([]Policy{bruteForceThenSuccess}); err != nil {
		t.Fatalf("SetPolicies: %v", err)
	}
	ds, err := m.OnAlert(ctx, alert)
	if err != nil || len(ds) != 1 || ds[0].Value != "198.51.100.23" || ds[0].Policy != bruteForceThenSuccess.Name {
		t.Fatalf("OnAlert after SetPolicies = %+v, %v; want a block of 198.51.100.23 by %s", ds, err, bruteForceThenSuccess.Name)
	}
	if got := m.Policies(); len(got) != 1 || got[0].Name != bruteForceThenSuccess.Name {
		t.Errorf("Policies() = %+v", got)
	}

	bad := Policy{Name: "bad", Enabled: true, When: When{Detectors: []string{"x"}, MinLevel: "severe"},
		Entity: event.UserName, Action: ActionBlock, Duration: 400 * time.Hour}
	err = m.SetPolicies([]Policy{bad})
	fields := map[string]bool{}
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var inner interface{ Unwrap() []error }
		if errors.As(e, &inner) {
			for _, fe := range inner.Unwrap() {
				var f *FieldError
				if errors.As(fe, &f) {
					fields[f.Field] = true
				}
			}
		}
	}
	for _, want := range []string{"when.min_level", "action", "duration"} {
		if !fields[want] {
			t.Errorf("SetPolicies(bad) = %v: no FieldError for %s", err, want)
		}
	}
	if err := m.SetPolicies([]Policy{bruteForceThenSuccess, bruteForceThenSuccess}); err == nil {
		t.Error("SetPolicies accepted one name twice")
	}
	if got := m.Policies(); len(got) != 1 || got[0].Name != bruteForceThenSuccess.Name {
		t.Errorf("a refused SetPolicies changed the policies: %+v", got)
	}
	if err := m.CheckPolicy(bad); err == nil {
		t.Error("CheckPolicy accepted a bad policy")
	}
	if err := m.SetPolicies(nil); err != nil {
		t.Fatal(err)
	}
	if ds, err := m.OnAlert(ctx, successAfter("198.51.100.99", "jdoe", 55)); err != nil || len(ds) != 0 {
		t.Errorf("OnAlert after SetPolicies(nil) = %d decisions, %v; want none", len(ds), err)
	}
}

// OnAlert and SetPolicies run concurrently (for -race).
func TestSetPoliciesConcurrent(t *testing.T) {
	ctx := context.Background()
	m, _, _, _ := newManager(t, Config{}, &recorder{name: "fw"})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 200 {
			ps := []Policy{bruteForceThenSuccess}
			if i%2 == 0 {
				ps = nil
			}
			if err := m.SetPolicies(ps); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Go(func() {
		for range 200 {
			if _, err := m.OnAlert(ctx, successAfter("198.51.100.23", "jdoe", 55)); err != nil {
				t.Error(err)
				return
			}
			m.Policies()
		}
	})
	wg.Wait()
}
