package evidence

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigie-sec/vigie/internal/store/sqlite"
)

// benchStore returns a store of n sshd events appended in batches of 1000,
// with an audit entry after each batch.
func benchStore(b *testing.B, n int) *sqlite.Store {
	b.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"), sqlite.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	start := time.Date(2024, 12, 10, 6, 0, 0, 0, time.UTC)
	for i := 0; i < n; i += 1000 {
		if err := st.Append(ctx, sshEvents(min(1000, n-i), start.Add(time.Duration(i)*time.Second))); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkVerify re-hashes a whole store; events/s is the figure that
// matters for `vigie verify --data`.
func BenchmarkVerify(b *testing.B) {
	const n = 50_000
	ctx := context.Background()
	st := benchStore(b, n)
	key, _ := GenerateKey()
	lg, err := Open(ctx, st, key, Config{Origin: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lg.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		r, err := Verify(ctx, st, key.Public(), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !r.OK() || r.Events != n {
			b.Fatalf("report:\n%s", r.Text())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkInclusionProof serves proofs from a tree over a real store:
// each reads at most two 64-leaf chunks from SQLite.
func BenchmarkInclusionProof(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	st := benchStore(b, n)
	tree := NewTree(st)
	if err := tree.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		i = (i + 7919) % n
		if _, err := tree.InclusionProof(ctx, i, n); err != nil {
			b.Fatal(err)
		}
	}
}
