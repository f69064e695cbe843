package evidence

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// LeafSource reads the leaves of the integrity log: the part of
// store.Ledger a Tree needs.
type LeafSource interface {
	// Leaves returns up to limit leaves from index from on, in order.
	Leaves(ctx context.Context, from int64, limit int) ([]store.LedgerEntry, error)
}

// chunkLevel is the lowest level of the tree a Tree keeps in memory: it
// keeps the hashes of the perfect subtrees of 64 leaves and above, about
// size/32 hashes in all (1 MB per million leaves), and rehashes the (at
// most 64) leaves under a lower node from the LeafSource when a proof
// needs it.
const (
	chunkLevel = 6
	chunkSize  = 1 << chunkLevel
)

// syncPage is how many leaves Sync reads at a time.
const syncPage = 4096

// ErrLeafChanged is returned when leaves read again from the LeafSource
// no longer hash to what the Tree computed from them before: the
// integrity log was changed under it.
var ErrLeafChanged = errors.New("integrity log leaves changed since they were read")

// Tree is the RFC 6962 Merkle tree over the integrity log. It answers for
// any size up to the last Sync: roots, inclusion proofs and consistency
// proofs. Memory is O(size/64) hashes (see chunkLevel).
//
// A Tree is safe for concurrent use: Sync may run while proofs are
// served; a proof sees the tree as of a completed Sync.
type Tree struct {
	src    LeafSource
	hasher *rfc6962.Hasher
	ranges compact.RangeFactory

	syncMu sync.Mutex // syncMu serializes Sync

	mu sync.RWMutex // mu guards size, nodes and tail
	// size is the number of leaves the tree holds.
	size int64
	// nodes[l][i] is the hash of the perfect subtree at level chunkLevel+l
	// and index i, for every such subtree within the first size leaves.
	nodes [][]leaf.Hash
	// tail holds the leaf hashes after the last complete chunk.
	tail []leaf.Hash

	cacheMu sync.Mutex // cacheMu guards cache and cached
	// cache keeps the last complete chunks read, checked: an export
	// proves thousands of neighbouring leaves, which share chunks.
	cache  map[uint64][]leaf.Hash
	cached []uint64 // cache's keys, oldest first
}

// cachedChunks bounds the chunk cache: 1024 chunks of 64 leaves, 2 MiB.
const cachedChunks = 1024

// NewTree returns an empty tree over src; call Sync to read its leaves.
func NewTree(src LeafSource) *Tree {
	h := rfc6962.DefaultHasher
	return &Tree{src: src, hasher: h, ranges: compact.RangeFactory{Hash: h.HashChildren}}
}

// Size returns the number of leaves as of the last Sync.
func (t *Tree) Size() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// Sync reads the leaves added to the source since the last Sync. It fails
// when the source's leaf indices are not consecutive (a hole or a
// reordering in the integrity log), keeping the leaves before it.
func (t *Tree) Sync(ctx context.Context) error {
	t.syncMu.Lock()
	defer t.syncMu.Unlock()
	for {
		from := t.Size()
		page, err := t.src.Leaves(ctx, from, syncPage)
		if err != nil {
			return fmt.Errorf("syncing the Merkle tree from leaf %d: %w", from, err)
		}
		if len(page) == 0 {
			return nil
		}
		n := 0
		for n < len(page) && page[n].Index == from+int64(n) {
			n++
		}
		t.appendLeaves(page[:n])
		if n < len(page) {
			return fmt.Errorf("syncing the Merkle tree: leaf at position %d has index %d, want %d: the integrity log has a hole or is out of order",
				from+int64(n), page[n].Index, from+int64(n))
		}
	}
}

// appendLeaves adds leaves to the tree.
func (t *Tree) appendLeaves(leaves []store.LedgerEntry) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range leaves {
		t.tail = append(t.tail, l.Hash)
		t.size++
		if len(t.tail) < chunkSize {
			continue
		}
		t.addNodeLocked(0, t.perfectRoot(t.tail))
		t.tail = t.tail[:0]
	}
}

// addNodeLocked appends a perfect subtree hash at level chunkLevel+l and
// the parents it completes.
func (t *Tree) addNodeLocked(l int, h leaf.Hash) {
	for {
		if l == len(t.nodes) {
			t.nodes = append(t.nodes, nil)
		}
		t.nodes[l] = append(t.nodes[l], h)
		n := len(t.nodes[l])
		if n%2 == 1 {
			return
		}
		h = t.hashChildren(t.nodes[l][n-2], h)
		l++
	}
}

func (t *Tree) hashChildren(left, right leaf.Hash) leaf.Hash {
	var out leaf.Hash
	copy(out[:], t.hasher.HashChildren(left[:], right[:]))
	return out
}

// perfectRoot returns the root of the perfect subtree over hashes, whose
// length is a power of two.
func (t *Tree) perfectRoot(hashes []leaf.Hash) leaf.Hash {
	if len(hashes) == 1 {
		return hashes[0]
	}
	half := len(hashes) / 2
	return t.hashChildren(t.perfectRoot(hashes[:half]), t.perfectRoot(hashes[half:]))
}

// Root returns the root of the tree of the first size leaves, for any size
// up to Size. The root of the empty tree is SHA-256 of nothing.
func (t *Tree) Root(ctx context.Context, size int64) (leaf.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size < 0 || size > t.size {
		return leaf.Hash{}, fmt.Errorf("root of tree size %d: the tree has %d leaves", size, t.size)
	}
	if size == 0 {
		var h leaf.Hash
		copy(h[:], t.hasher.EmptyRoot())
		return h, nil
	}
	ids := compact.RangeNodes(0, uint64(size), nil)
	hashes, err := t.nodeHashesLocked(ctx, ids)
	if err != nil {
		return leaf.Hash{}, fmt.Errorf("root of tree size %d: %w", size, err)
	}
	r, err := t.ranges.NewRange(0, uint64(size), hashes)
	if err != nil {
		return leaf.Hash{}, fmt.Errorf("BUG: root of tree size %d: %w", size, err)
	}
	root, err := r.GetRootHash(nil)
	if err != nil {
		return leaf.Hash{}, fmt.Errorf("BUG: root of tree size %d: %w", size, err)
	}
	var out leaf.Hash
	copy(out[:], root)
	return out, nil
}

// InclusionProof returns the RFC 6962 inclusion proof of leaf index in the
// tree of size leaves (index < size <= Size), for VerifyInclusion.
func (t *Tree) InclusionProof(ctx context.Context, index, size int64) ([]leaf.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if index < 0 || size > t.size || index >= size {
		return nil, fmt.Errorf("inclusion proof of leaf %d in tree size %d: want 0 <= leaf < size <= %d", index, size, t.size)
	}
	nodes, err := proof.Inclusion(uint64(index), uint64(size))
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of leaf %d in tree size %d: %w", index, size, err)
	}
	p, err := t.rehashLocked(ctx, nodes)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of leaf %d in tree size %d: %w", index, size, err)
	}
	return p, nil
}

// ConsistencyProof returns the RFC 6962 consistency proof between the
// trees of size1 and size2 leaves (0 <= size1 <= size2 <= Size), for
// VerifyConsistency.
func (t *Tree) ConsistencyProof(ctx context.Context, size1, size2 int64) ([]leaf.Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if size1 < 0 || size1 > size2 || size2 > t.size {
		return nil, fmt.Errorf("consistency proof from tree size %d to %d: want 0 <= %d <= %d <= %d", size1, size2, size1, size2, t.size)
	}
	nodes, err := proof.Consistency(uint64(size1), uint64(size2))
	if err != nil {
		return nil, fmt.Errorf("consistency proof from tree size %d to %d: %w", size1, size2, err)
	}
	p, err := t.rehashLocked(ctx, nodes)
	if err != nil {
		return nil, fmt.Errorf("consistency proof from tree size %d to %d: %w", size1, size2, err)
	}
	return p, nil
}

// rehashLocked fetches the hashes of nodes.IDs and folds the ephemeral
// node, as proof.Nodes.Rehash does.
func (t *Tree) rehashLocked(ctx context.Context, nodes proof.Nodes) ([]leaf.Hash, error) {
	hashes, err := t.nodeHashesLocked(ctx, nodes.IDs)
	if err != nil {
		return nil, err
	}
	hashes, err = nodes.Rehash(hashes, t.hasher.HashChildren)
	if err != nil {
		return nil, fmt.Errorf("BUG: %w", err)
	}
	out := make([]leaf.Hash, len(hashes))
	for i, h := range hashes {
		copy(out[i][:], h)
	}
	return out, nil
}

// nodeHashesLocked returns the hashes of perfect subtrees within the
// first t.size leaves, reading each 64-leaf chunk it needs at most once.
func (t *Tree) nodeHashesLocked(ctx context.Context, ids []compact.NodeID) ([][]byte, error) {
	chunks := map[uint64][]leaf.Hash{}
	out := make([][]byte, len(ids))
	for i, id := range ids {
		h, err := t.nodeHashLocked(ctx, id, chunks)
		if err != nil {
			return nil, err
		}
		out[i] = h[:]
	}
	return out, nil
}

func (t *Tree) nodeHashLocked(ctx context.Context, id compact.NodeID, chunks map[uint64][]leaf.Hash) (leaf.Hash, error) {
	if _, end := id.Coverage(); end > uint64(t.size) {
		return leaf.Hash{}, fmt.Errorf("BUG: node %d/%d is beyond tree size %d", id.Level, id.Index, t.size)
	}
	if id.Level >= chunkLevel {
		return t.nodes[id.Level-chunkLevel][id.Index], nil
	}
	begin, end := id.Coverage()
	chunk := begin / chunkSize
	leaves, ok := chunks[chunk]
	if !ok {
		var err error
		if leaves, err = t.chunkLocked(ctx, chunk); err != nil {
			return leaf.Hash{}, err
		}
		chunks[chunk] = leaves
	}
	off := chunk * chunkSize
	return t.perfectRoot(leaves[begin-off : end-off]), nil
}

// chunkLocked returns the leaf hashes of chunk i: from the tail for the
// incomplete last chunk, else read from the source and checked against
// the chunk's hash kept in memory.
func (t *Tree) chunkLocked(ctx context.Context, i uint64) ([]leaf.Hash, error) {
	if i == uint64(t.size/chunkSize) {
		return t.tail, nil
	}
	t.cacheMu.Lock()
	hashes, ok := t.cache[i]
	t.cacheMu.Unlock()
	if ok {
		return hashes, nil
	}
	from := int64(i * chunkSize)
	page, err := t.src.Leaves(ctx, from, chunkSize)
	if err != nil {
		return nil, fmt.Errorf("reading leaves %d to %d: %w", from, from+chunkSize-1, err)
	}
	if len(page) != chunkSize {
		return nil, fmt.Errorf("reading leaves %d to %d: got %d leaves: %w", from, from+chunkSize-1, len(page), ErrLeafChanged)
	}
	hashes = make([]leaf.Hash, chunkSize)
	for j, l := range page {
		if l.Index != from+int64(j) {
			return nil, fmt.Errorf("reading leaves %d to %d: leaf %d has index %d: %w", from, from+chunkSize-1, from+int64(j), l.Index, ErrLeafChanged)
		}
		hashes[j] = l.Hash
	}
	if t.perfectRoot(hashes) != t.nodes[0][i] {
		return nil, fmt.Errorf("leaves %d to %d: %w", from, from+chunkSize-1, ErrLeafChanged)
	}
	t.cacheMu.Lock()
	defer t.cacheMu.Unlock()
	if _, ok := t.cache[i]; !ok {
		if t.cache == nil {
			t.cache = make(map[uint64][]leaf.Hash)
		}
		if len(t.cached) == cachedChunks {
			delete(t.cache, t.cached[0])
			t.cached = t.cached[1:]
		}
		t.cache[i] = hashes
		t.cached = append(t.cached, i)
	}
	return hashes, nil
}

// VerifyInclusion checks that leafHash is leaf index of the tree of size
// leaves whose root is root, given an inclusion proof.
func VerifyInclusion(index, size int64, leafHash leaf.Hash, p []leaf.Hash, root leaf.Hash) error {
	if index < 0 || size < 0 {
		return fmt.Errorf("inclusion of leaf %d in tree size %d: negative", index, size)
	}
	if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(index), uint64(size), leafHash[:], byteSlices(p), root[:]); err != nil {
		return fmt.Errorf("inclusion of leaf %d in tree size %d: %w", index, size, err)
	}
	return nil
}

// VerifyConsistency checks that the tree of size1 leaves with root root1
// is a prefix of the tree of size2 leaves with root root2, given a
// consistency proof.
func VerifyConsistency(size1, size2 int64, p []leaf.Hash, root1, root2 leaf.Hash) error {
	if size1 < 0 || size2 < 0 {
		return fmt.Errorf("consistency of tree size %d with %d: negative", size1, size2)
	}
	if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(size1), uint64(size2), byteSlices(p), root1[:], root2[:]); err != nil {
		return fmt.Errorf("consistency of tree size %d with %d: %w", size1, size2, err)
	}
	return nil
}

// byteSlices returns the hashes as byte slices, as package proof takes them.
func byteSlices(hashes []leaf.Hash) [][]byte {
	out := make([][]byte, len(hashes))
	for i := range hashes {
		out[i] = hashes[i][:]
	}
	return out
}
