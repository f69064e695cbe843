package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigie-sec/vigie/internal/store"
)

// RecordKind is the kind of the store records holding indicators.
const RecordKind = "indicator"

// ErrNoIndicator is returned for an unknown indicator ID.
var ErrNoIndicator = errors.New("indicator not found")

// Store keeps indicators as records of kind RecordKind, one per ID, as
// their JSON. It is safe for concurrent use as far as the records are;
// two Imports of the same IDs at once may interleave.
type Store struct {
	records store.Records
	now     func() time.Time
}

// NewStore returns a Store over records.
func NewStore(records store.Records) *Store {
	return &Store{records: records, now: time.Now}
}

// List returns every stored indicator, by ID.
func (s *Store) List(ctx context.Context) ([]Indicator, error) {
	recs, err := s.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return nil, fmt.Errorf("listing indicators: %w", err)
	}
	out := make([]Indicator, 0, len(recs))
	for _, r := range recs {
		var ind Indicator
		if err := json.Unmarshal(r.Body, &ind); err != nil {
			return nil, fmt.Errorf("reading indicator %s: %w", r.ID, err)
		}
		out = append(out, ind)
	}
	slices.SortFunc(out, func(a, b Indicator) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Get returns one indicator, or an error matching ErrNoIndicator.
func (s *Store) Get(ctx context.Context, id string) (Indicator, error) {
	r, err := s.records.GetRecord(ctx, RecordKind, id)
	if errors.Is(err, store.ErrNoRecord) {
		return Indicator{}, fmt.Errorf("indicator %s: %w", id, ErrNoIndicator)
	}
	if err != nil {
		return Indicator{}, fmt.Errorf("reading indicator %s: %w", id, err)
	}
	var ind Indicator
	if err := json.Unmarshal(r.Body, &ind); err != nil {
		return Indicator{}, fmt.Errorf("reading indicator %s: %w", id, err)
	}
	return ind, nil
}

// Matcher compiles the stored indicators.
func (s *Store) Matcher(ctx context.Context) (*Matcher, error) {
	inds, err := s.List(ctx)
	if err != nil {
		return nil, err
	}
	return Compile(inds), nil
}

// Import stores indicators, replacing those of the same ID. It returns
// how many were new (added) and how many replaced a stored indicator with
// different content (updated); one stored unchanged counts in neither.
// Within the list, the last of several indicators with one ID wins. A new
// indicator's Added is set to now; a replaced one keeps its first Added.
//
// Every indicator is validated (Indicator.Validate) before anything is
// written, and they are written in one batch (store.Records.PutRecords):
// the import is all or nothing.
func (s *Store) Import(ctx context.Context, indicators []Indicator) (added, updated int, err error) {
	byID := map[string]int{}
	var list []Indicator
	for i := range indicators {
		ind := indicators[i]
		if err := ind.Validate(); err != nil {
			return 0, 0, fmt.Errorf("indicator %d: %w", i, err)
		}
		if j, ok := byID[ind.ID]; ok {
			list[j] = ind
			continue
		}
		byID[ind.ID] = len(list)
		list = append(list, ind)
	}
	existing, err := s.records.ListRecords(ctx, RecordKind)
	if err != nil {
		return 0, 0, fmt.Errorf("listing indicators: %w", err)
	}
	stored := make(map[string]store.Record, len(existing))
	for _, r := range existing {
		stored[r.ID] = r
	}
	now := s.now().UTC()
	var batch []store.Record
	for _, ind := range list {
		old, replacing := stored[ind.ID]
		ind.Added = now
		if replacing {
			var prev Indicator
			if err := json.Unmarshal(old.Body, &prev); err == nil && !prev.Added.IsZero() {
				ind.Added = prev.Added
			}
		}
		body, err := json.Marshal(ind)
		if err != nil {
			return 0, 0, fmt.Errorf("encoding indicator %s: %w", ind.ID, err)
		}
		if replacing && bytes.Equal(body, old.Body) {
			continue
		}
		batch = append(batch, store.Record{Kind: RecordKind, ID: ind.ID, Body: body, Updated: now})
		if replacing {
			updated++
		} else {
			added++
		}
	}
	if err := s.records.PutRecords(ctx, batch); err != nil {
		return 0, 0, fmt.Errorf("storing %d indicators: %w", len(batch), err)
	}
	return added, updated, nil
}

// Delete removes one indicator; an unknown ID gives an error matching
// ErrNoIndicator.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := s.Get(ctx, id); err != nil {
		return err
	}
	if err := s.records.DeleteRecord(ctx, RecordKind, id); err != nil {
		return fmt.Errorf("deleting indicator %s: %w", id, err)
	}
	return nil
}
