package api_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/api"
	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/bundle"
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

// TestExportIncident downloads an incident's case bundle in both formats
// and verifies each offline with the instance's public key: it holds the
// incident's two alerts, the export is audited, and a failed export
// (unknown incident, bad format) answers an error, not a bundle.
func TestExportIncident(t *testing.T) {
	e := newTriageEnv(t)
	d := storeTriageData(t, e)
	for _, format := range []string{"tar.gz", "zip"} {
		path := filepath.Join(t.TempDir(), "bundle."+format)
		req, err := http.NewRequest("GET", e.srv.URL+"/api/v1/incidents/"+strconv.FormatInt(d.incA, 10)+"/export?format="+format, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("export as %s: %d %v %.200s", format, resp.StatusCode, err, b)
		}
		if !strings.Contains(resp.Header.Get("Content-Disposition"), "."+format) || len(resp.Header.Get("X-Vigie-Manifest-SHA256")) != 64 {
			t.Errorf("export headers: %v", resp.Header)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := bundle.Verify(path, e.key.Public(), bundle.Limits{})
		if err != nil {
			t.Fatalf("verify %s: %v", format, err)
		}
		if !rep.OK() || rep.Alerts != 2 {
			t.Errorf("verify %s: OK %v, %d alerts (want 2):\n%s", format, rep.OK(), rep.Alerts, rep)
		}
	}
	exports := 0
	for _, a := range e.audit(t, "incident/"+strconv.FormatInt(d.incA, 10)) {
		if a.Action == "incident.export" {
			exports++
		}
	}
	if exports != 2 {
		t.Errorf("%d export audit entries, want 2", exports)
	}
	e.fail(t, "GET", "/api/v1/incidents/999/export", "", http.StatusNotFound, "not_found")
	e.fail(t, "GET", "/api/v1/incidents/1/export?format=rar", "", http.StatusBadRequest, "bad_format")
}
