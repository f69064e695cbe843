package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"

	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// Evidence is the integrity log: signed checkpoints and proofs.
type Evidence interface {
	Public() evidence.PublicKey
	Origin() string
	Latest() (evidence.Checkpoint, bool)
	Checkpoint(ctx context.Context) (evidence.Checkpoint, error)
	Checkpoints(ctx context.Context, after int64, limit int) ([]evidence.Checkpoint, error)
	InclusionProof(ctx context.Context, index, size int64) ([]leaf.Hash, error)
	ConsistencyProof(ctx context.Context, size1, size2 int64) ([]leaf.Hash, error)
	WitnessStatus() []evidence.WitnessStatus
}

// CheckpointsResponse answers GET /api/v1/checkpoints.
type CheckpointsResponse struct {
	Origin      string                   `json:"origin"`
	PublicKey   evidence.PublicKey       `json:"public_key"`
	KeyID       string                   `json:"key_id"`
	Checkpoints []evidence.Checkpoint    `json:"checkpoints"`
	Witnesses   []evidence.WitnessStatus `json:"witnesses"`
}

// InclusionResponse answers GET /api/v1/proofs/inclusion: the leaf's
// hash and its audit path in the tree of TreeSize leaves, whose root the
// checkpoint of that size signs.
type InclusionResponse struct {
	Kind       string               `json:"kind"` // "event" or "audit"
	Ref        int64                `json:"ref"`  // the event ID or audit seq
	LeafIndex  int64                `json:"leaf_index"`
	TreeSize   int64                `json:"tree_size"`
	LeafHash   string               `json:"leaf_hash"` // standard base64, like checkpoint roots
	Proof      []string             `json:"proof"`     // the audit path, base64, bottom up
	Checkpoint *evidence.Checkpoint `json:"checkpoint,omitempty"`
}

// ConsistencyResponse answers GET /api/v1/proofs/consistency.
type ConsistencyResponse struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof []string `json:"proof"` // base64
}

func (s *server) listCheckpoints(w http.ResponseWriter, r *http.Request) error {
	after, err := int64Param(r, "after", 0)
	if err != nil {
		return err
	}
	limit, err := int64Param(r, "limit", 100)
	if err != nil {
		return err
	}
	list, err := s.cfg.Evidence.Checkpoints(r.Context(), after, int(min(max(limit, 1), store.MaxLimit)))
	if err != nil {
		return err
	}
	if list == nil {
		list = []evidence.Checkpoint{}
	}
	pub := s.cfg.Evidence.Public()
	writeJSON(w, http.StatusOK, CheckpointsResponse{Origin: s.cfg.Evidence.Origin(), PublicKey: pub, KeyID: pub.KeyID(),
		Checkpoints: list, Witnesses: s.cfg.Evidence.WitnessStatus()})
	return nil
}

func (s *server) signCheckpoint(w http.ResponseWriter, r *http.Request) error {
	c, err := s.cfg.Evidence.Checkpoint(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

// inclusionProof answers for one leaf named by event=ID, audit=SEQ or
// leaf=INDEX, against the tree of size=N leaves (default: the latest
// checkpoint's size, so that the answer can be checked against it).
func (s *server) inclusionProof(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	q := r.URL.Query()
	var resp InclusionResponse
	var err error
	switch {
	case q.Has("event"):
		resp.Kind = leaf.KindEvent.String()
		resp.Ref, err = int64Param(r, "event", 0)
		if err == nil {
			resp.LeafIndex, err = s.cfg.Ledger.LeafIndex(ctx, uint8(leaf.KindEvent), resp.Ref)
		}
	case q.Has("audit"):
		resp.Kind = leaf.KindAudit.String()
		resp.Ref, err = int64Param(r, "audit", 0)
		if err == nil {
			resp.LeafIndex, err = s.cfg.Ledger.LeafIndex(ctx, uint8(leaf.KindAudit), resp.Ref)
		}
	case q.Has("leaf"):
		resp.LeafIndex, err = int64Param(r, "leaf", 0)
	default:
		return badRequest("missing_leaf", "name the leaf: event=ID, audit=SEQ or leaf=INDEX")
	}
	if errors.Is(err, store.ErrNoRecord) {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: err.Error()}
	}
	if err != nil {
		return err
	}
	leaves, err := s.cfg.Ledger.Leaves(ctx, resp.LeafIndex, 1)
	if err != nil {
		return err
	}
	if len(leaves) == 0 || leaves[0].Index != resp.LeafIndex {
		return &Error{Status: http.StatusNotFound, Code: "not_found", Message: "no leaf " + strconv.FormatInt(resp.LeafIndex, 10)}
	}
	l := leaves[0]
	resp.Kind, resp.Ref, resp.LeafHash = leaf.Kind(l.Kind).String(), l.Ref, b64(l.Hash)
	if resp.TreeSize, err = int64Param(r, "size", 0); err != nil {
		return err
	}
	if resp.TreeSize == 0 {
		c, ok := s.cfg.Evidence.Latest()
		if !ok || c.Size <= resp.LeafIndex {
			if c, err = s.cfg.Evidence.Checkpoint(ctx); err != nil {
				return err
			}
		}
		resp.TreeSize, resp.Checkpoint = c.Size, &c
	}
	if resp.LeafIndex >= resp.TreeSize {
		return badRequest("bad_size", "leaf %d is not in a tree of %d leaves", resp.LeafIndex, resp.TreeSize)
	}
	p, err := s.cfg.Evidence.InclusionProof(ctx, resp.LeafIndex, resp.TreeSize)
	if err != nil {
		return badRequest("bad_size", "%v", err)
	}
	resp.Proof = b64s(p)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *server) consistencyProof(w http.ResponseWriter, r *http.Request) error {
	from, err := int64Param(r, "from", 0)
	if err != nil {
		return err
	}
	to, err := int64Param(r, "to", 0)
	if err != nil {
		return err
	}
	if from <= 0 || to < from {
		return badRequest("bad_size", "want 0 < from <= to, got from=%d to=%d", from, to)
	}
	p, err := s.cfg.Evidence.ConsistencyProof(r.Context(), from, to)
	if err != nil {
		return badRequest("bad_size", "%v", err)
	}
	writeJSON(w, http.StatusOK, ConsistencyResponse{From: from, To: to, Proof: b64s(p)})
	return nil
}

// int64Param reads a non-negative integer query parameter.
func int64Param(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, badRequest("bad_"+name, "%s=%q: want a non-negative integer", name, v)
	}
	return n, nil
}

func b64(h leaf.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs []leaf.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}
