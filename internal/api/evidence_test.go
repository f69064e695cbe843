package api_test

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"testing"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
)

// TestEvidenceProofs signs checkpoints through the API and checks, with
// the library's RFC 6962 verifier (through evidence.VerifyInclusion and
// VerifyConsistency), that an ingested event's inclusion proof leads to
// the signed root and that two checkpoints are consistent.
func TestEvidenceProofs(t *testing.T) {
	e := newTriageEnv(t)
	e.call(t, "POST", "/api/v1/events", `{"message":"first"}`+"\n"+`{"message":"second"}`+"\n", http.StatusOK, nil)
	var c1 evidence.Checkpoint
	e.call(t, "POST", "/api/v1/checkpoints", "", http.StatusCreated, &c1)
	e.call(t, "POST", "/api/v1/events", `{"message":"third"}`+"\n", http.StatusOK, nil)
	var c2 evidence.Checkpoint
	e.call(t, "POST", "/api/v1/checkpoints", "", http.StatusCreated, &c2)
	if c1.Size < 2 || c2.Size <= c1.Size {
		t.Fatalf("checkpoint sizes %d then %d: want at least 2, then more", c1.Size, c2.Size)
	}
	var list api.CheckpointsResponse
	e.call(t, "GET", "/api/v1/checkpoints", "", http.StatusOK, &list)
	if len(list.Checkpoints) != 2 || list.Origin != "api-test" {
		t.Fatalf("checkpoints: %+v", list)
	}
	for _, c := range list.Checkpoints {
		if err := c.Verify(list.PublicKey); err != nil {
			t.Errorf("checkpoint %d does not verify with the served key: %v", c.Size, err)
		}
	}

	// The first event is leaf 0 of both trees.
	var inc api.InclusionResponse
	e.call(t, "GET", "/api/v1/proofs/inclusion?event=1&size="+strconv.FormatInt(c1.Size, 10), "", http.StatusOK, &inc)
	if inc.Kind != "event" || inc.Ref != 1 || inc.LeafIndex != 0 || inc.TreeSize != c1.Size {
		t.Fatalf("inclusion: %+v", inc)
	}
	stored, err := e.st.Get(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	want := leaf.HashLeaf(leaf.Event(nil, stored))
	if inc.LeafHash != base64.StdEncoding.EncodeToString(want[:]) {
		t.Errorf("leaf hash %s is not the hash of the stored event", inc.LeafHash)
	}
	if err := evidence.VerifyInclusion(inc.LeafIndex, inc.TreeSize, want, decodeHashes(t, inc.Proof), c1.Root); err != nil {
		t.Errorf("inclusion proof against the signed root: %v", err)
	}
	// Without size, the proof is against the latest checkpoint, included.
	e.call(t, "GET", "/api/v1/proofs/inclusion?event=1", "", http.StatusOK, &inc)
	if inc.Checkpoint == nil || inc.Checkpoint.Size != c2.Size {
		t.Fatalf("inclusion without size: checkpoint %+v, want size %d", inc.Checkpoint, c2.Size)
	}
	if err := evidence.VerifyInclusion(inc.LeafIndex, inc.TreeSize, want, decodeHashes(t, inc.Proof), c2.Root); err != nil {
		t.Errorf("inclusion proof against the latest root: %v", err)
	}
	var cons api.ConsistencyResponse
	e.call(t, "GET", "/api/v1/proofs/consistency?from="+strconv.FormatInt(c1.Size, 10)+"&to="+strconv.FormatInt(c2.Size, 10), "", http.StatusOK, &cons)
	if err := evidence.VerifyConsistency(c1.Size, c2.Size, decodeHashes(t, cons.Proof), c1.Root, c2.Root); err != nil {
		t.Errorf("consistency proof between the checkpoints: %v", err)
	}
	e.fail(t, "GET", "/api/v1/proofs/inclusion?event=999", "", http.StatusNotFound, "not_found")
	e.fail(t, "GET", "/api/v1/proofs/inclusion", "", http.StatusBadRequest, "missing_leaf")
	e.fail(t, "GET", "/api/v1/proofs/inclusion?event=1&size=-3", "", http.StatusBadRequest, "bad_size")
	e.fail(t, "GET", "/api/v1/proofs/consistency?from=5&to=2", "", http.StatusBadRequest, "bad_size")
}

func decodeHashes(t *testing.T, in []string) []leaf.Hash {
	t.Helper()
	out := make([]leaf.Hash, len(in))
	for i, s := range in {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b) != len(out[i]) {
			t.Fatalf("proof hash %d: %q", i, s)
		}
		copy(out[i][:], b)
	}
	return out
}
