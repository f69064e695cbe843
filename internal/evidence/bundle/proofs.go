package bundle

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/vigie-sec/vigie/internal/evidence"
	"github.com/vigie-sec/vigie/internal/evidence/leaf"
)

// Leafed is where an exported item sits in the integrity log: its leaf
// index and its inclusion proof against the bundle's checkpoint.
type Leafed struct {
	Index int64
	Proof []leaf.Hash
}

// maxProof bounds the hashes of one inclusion proof: a tree of at most
// 2^63 leaves needs no more than 63.
const maxProof = 63

// proofLine is one entry of a proofs.json array: the proof of one line.
type proofLine struct {
	Line      int      `json:"line"`
	LeafIndex int64    `json:"leaf_index"`
	Proof     []string `json:"proof"` // hex hashes
}

// proofsFile is proofs.json as Write writes it.
type proofsFile struct {
	Checkpoint evidence.Checkpoint `json:"checkpoint"`
	Events     []proofLine         `json:"events.ndjson"`
	Alerts     []proofLine         `json:"alerts.ndjson"`
	Audit      []proofLine         `json:"audit.ndjson"`
}

func newProofLines(ls []Leafed) []proofLine {
	out := make([]proofLine, len(ls))
	for i, l := range ls {
		p := proofLine{Line: i + 1, LeafIndex: l.Index, Proof: make([]string, len(l.Proof))}
		for j, h := range l.Proof {
			p.Proof[j] = hex.EncodeToString(h[:])
		}
		out[i] = p
	}
	return out
}

// leafed decodes the proof of p.
func (p *proofLine) leafed() (Leafed, error) {
	if len(p.Proof) > maxProof {
		return Leafed{}, fmt.Errorf("proof has %d hashes, more than %d", len(p.Proof), maxProof)
	}
	l := Leafed{Index: p.LeafIndex, Proof: make([]leaf.Hash, len(p.Proof))}
	for i, s := range p.Proof {
		h, err := decodeSum(s)
		if err != nil {
			return Leafed{}, fmt.Errorf("proof hash %d: %w", i+1, err)
		}
		l.Proof[i] = h
	}
	return l, nil
}

// ErrProofMismatch is matched by the error of a record that does not
// match its inclusion proof: it was altered after it was recorded.
var ErrProofMismatch = errors.New("does not match its inclusion proof")

// checkInclusion checks that the leaf whose hash is h sits at l.Index in
// the tree of cp.
func checkInclusion(cp *evidence.Checkpoint, l Leafed, h leaf.Hash) error {
	if l.Index < 0 || l.Index >= cp.Size {
		return fmt.Errorf("leaf index %d is outside the checkpoint's %d leaves", l.Index, cp.Size)
	}
	hashes := make([][]byte, len(l.Proof))
	for i := range l.Proof {
		hashes[i] = l.Proof[i][:]
	}
	err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(l.Index), uint64(cp.Size), h[:], hashes, cp.Root[:])
	var mismatch proof.RootMismatchError
	switch {
	case errors.As(err, &mismatch):
		return fmt.Errorf("%w (leaf %d of %d): it leads to root %x, not the checkpoint's %x",
			ErrProofMismatch, l.Index, cp.Size, mismatch.CalculatedRoot, cp.Root)
	case err != nil:
		return fmt.Errorf("does not match its inclusion proof (leaf %d of %d): %w", l.Index, cp.Size, err)
	}
	return nil
}

// errValueTooLarge is returned when one JSON value of proofs.json is
// larger than Limits.MaxLine.
var errValueTooLarge = errors.New("value larger than the line limit")

// window lets a json.Decoder read at most max bytes past the offset last
// allowed, so that one huge value cannot make it buffer a whole file.
type window struct {
	r           io.Reader
	read, limit int64
	max         int64
}

func (w *window) allow(offset int64) { w.limit = offset + w.max }

func (w *window) Read(p []byte) (int, error) {
	if w.read >= w.limit {
		return 0, errValueTooLarge
	}
	if room := w.limit - w.read; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := w.r.Read(p)
	w.read += int64(n)
	return n, err
}
