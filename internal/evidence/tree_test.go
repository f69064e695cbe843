package evidence

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// sliceLeaves is a LeafSource over leaves held in memory, with the
// paging semantics of store.Ledger.Leaves.
type sliceLeaves struct {
	leaves []store.LedgerEntry
	reads  int // leaves returned so far
}

func (s *sliceLeaves) Leaves(_ context.Context, from int64, limit int) ([]store.LedgerEntry, error) {
	if from >= int64(len(s.leaves)) {
		return nil, nil
	}
	end := min(from+int64(limit), int64(len(s.leaves)))
	s.reads += int(end - from)
	return s.leaves[from:end], nil
}

func (s *sliceLeaves) add(n int) {
	for range n {
		i := int64(len(s.leaves))
		s.leaves = append(s.leaves, store.LedgerEntry{Index: i, Kind: uint8(leaf.KindEvent), Ref: i + 1,
			Hash: leaf.HashLeaf(fmt.Appendf(nil, "leaf %d", i))})
	}
}

// The naive tree follows RFC 6962 section 2.1 word for word, over every
// leaf hash in memory.
func naiveRoot(d []leaf.Hash) leaf.Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return d[0]
	}
	k := largestPow2Below(len(d))
	return naiveNode(naiveRoot(d[:k]), naiveRoot(d[k:]))
}

func naiveNode(l, r leaf.Hash) leaf.Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func largestPow2Below(n int) int {
	k := 1
	for k*2 < n {
		k *= 2
	}
	return k
}

// naivePath is PATH(m, D[n]) of RFC 6962 section 2.1.1.
func naivePath(m int, d []leaf.Hash) []leaf.Hash {
	if len(d) <= 1 {
		return nil
	}
	k := largestPow2Below(len(d))
	if m < k {
		return append(naivePath(m, d[:k]), naiveRoot(d[k:]))
	}
	return append(naivePath(m-k, d[k:]), naiveRoot(d[:k]))
}

// naiveProof is PROOF(m, D[n]) of RFC 6962 section 2.1.2.
func naiveProof(m int, d []leaf.Hash) []leaf.Hash {
	return naiveSubproof(m, d, true)
}

func naiveSubproof(m int, d []leaf.Hash, b bool) []leaf.Hash {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return []leaf.Hash{naiveRoot(d)}
	}
	k := largestPow2Below(n)
	if m <= k {
		return append(naiveSubproof(m, d[:k], b), naiveRoot(d[k:]))
	}
	return append(naiveSubproof(m-k, d[k:], false), naiveRoot(d[:k]))
}

func hashesOf(leaves []store.LedgerEntry) []leaf.Hash {
	out := make([]leaf.Hash, len(leaves))
	for i, l := range leaves {
		out[i] = l.Hash
	}
	return out
}

func equalHashes(a, b []leaf.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTreeAgainstLibraryAndNaive grows a tree leaf by leaf to 300 and, at
// every size, checks roots of every smaller size, inclusion proofs of
// random leaves and consistency proofs from random sizes, against the
// naive RFC 6962 tree and the library's verifier.
func TestTreeAgainstLibraryAndNaive(t *testing.T) {
	ctx := context.Background()
	src := &sliceLeaves{}
	tree := NewTree(src)
	rng := rand.New(rand.NewPCG(1, 2))
	all := func(n int64) []leaf.Hash { return hashesOf(src.leaves[:n]) }
	for size := int64(1); size <= 300; size++ {
		src.add(1)
		if err := tree.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if tree.Size() != size {
			t.Fatalf("Size = %d, want %d", tree.Size(), size)
		}
		root, err := tree.Root(ctx, size)
		if err != nil {
			t.Fatal(err)
		}
		if want := naiveRoot(all(size)); root != want {
			t.Fatalf("Root(%d) = %x, want %x", size, root, want)
		}
		for range 3 {
			old := rng.Int64N(size + 1)
			got, err := tree.Root(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			if want := naiveRoot(all(old)); got != want {
				t.Fatalf("at size %d: Root(%d) = %x, want %x", size, old, got, want)
			}
		}
		for range 4 {
			psize := 1 + rng.Int64N(size)
			index := rng.Int64N(psize)
			p, err := tree.InclusionProof(ctx, index, psize)
			if err != nil {
				t.Fatal(err)
			}
			if want := naivePath(int(index), all(psize)); !equalHashes(p, want) {
				t.Fatalf("InclusionProof(%d, %d) differs from RFC 6962 PATH", index, psize)
			}
			proot := naiveRoot(all(psize))
			lh := src.leaves[index].Hash
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(psize), lh[:], byteSlices(p), proot[:]); err != nil {
				t.Fatalf("library refuses InclusionProof(%d, %d): %v", index, psize, err)
			}
			if err := VerifyInclusion(index, psize, lh, p, proot); err != nil {
				t.Fatal(err)
			}
			other := src.leaves[(index+1)%size].Hash
			if psize > 1 && VerifyInclusion(index, psize, other, p, proot) == nil {
				t.Fatalf("proof of leaf %d verifies another leaf", index)
			}
		}
		for range 4 {
			size1 := rng.Int64N(size + 1)
			p, err := tree.ConsistencyProof(ctx, size1, size)
			if err != nil {
				t.Fatal(err)
			}
			if size1 > 0 && size1 < size {
				if want := naiveProof(int(size1), all(size)); !equalHashes(p, want) {
					t.Fatalf("ConsistencyProof(%d, %d) differs from RFC 6962 PROOF", size1, size)
				}
			}
			r1, r2 := naiveRoot(all(size1)), naiveRoot(all(size))
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(size1), uint64(size), byteSlices(p), r1[:], r2[:]); err != nil {
				t.Fatalf("library refuses ConsistencyProof(%d, %d): %v", size1, size, err)
			}
			if err := VerifyConsistency(size1, size, p, r1, r2); err != nil {
				t.Fatal(err)
			}
			if size1 > 0 && size1 < size {
				bad := r1
				bad[0] ^= 1
				if VerifyConsistency(size1, size, p, bad, r2) == nil {
					t.Fatalf("consistency proof %d->%d verifies a wrong old root", size1, size)
				}
			}
		}
	}
}

// TestTreeMemory checks that the tree keeps about size/32 hashes, and that
// a proof reads at most two chunks of leaves.
func TestTreeMemory(t *testing.T) {
	ctx := context.Background()
	src := &sliceLeaves{}
	src.add(100_000)
	tree := NewTree(src)
	if err := tree.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	kept := len(tree.tail)
	for _, level := range tree.nodes {
		kept += len(level)
	}
	if limit := 100_000/32 + 64; kept > limit {
		t.Errorf("tree keeps %d hashes for 100000 leaves, want at most %d", kept, limit)
	}
	src.reads = 0
	if _, err := tree.InclusionProof(ctx, 54_321, 99_999); err != nil {
		t.Fatal(err)
	}
	if src.reads > 2*chunkSize {
		t.Errorf("an inclusion proof read %d leaves, want at most %d", src.reads, 2*chunkSize)
	}
	root, err := tree.Root(ctx, 99_999)
	if err != nil {
		t.Fatal(err)
	}
	if want := naiveRoot(hashesOf(src.leaves[:99_999])); root != want {
		t.Errorf("Root(99999) = %x, want %x", root, want)
	}
}

func TestTreeDetectsChanges(t *testing.T) {
	ctx := context.Background()
	src := &sliceLeaves{}
	src.add(200)
	tree := NewTree(src)
	if err := tree.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	src.leaves[70].Hash[0] ^= 1
	if _, err := tree.InclusionProof(ctx, 70, 200); !errors.Is(err, ErrLeafChanged) {
		t.Errorf("proof over a changed leaf: %v, want ErrLeafChanged", err)
	}
	src.leaves[70].Hash[0] ^= 1

	src.add(10)
	src.leaves[205].Index = 300 // a hole
	if err := tree.Sync(ctx); err == nil {
		t.Error("Sync accepted a hole in the leaf indices")
	}
	if tree.Size() != 205 {
		t.Errorf("after the hole, Size = %d, want the 205 leaves before it", tree.Size())
	}
	if _, err := tree.Root(ctx, 206); err == nil {
		t.Error("Root beyond Size succeeded")
	}
	if _, err := tree.InclusionProof(ctx, 5, 5); err == nil {
		t.Error("InclusionProof with index == size succeeded")
	}
	if _, err := tree.ConsistencyProof(ctx, 10, 5); err == nil {
		t.Error("ConsistencyProof with size1 > size2 succeeded")
	}
}
