package event

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSortTail(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 500; round++ {
		var fields []Field
		for i := rng.IntN(12); i >= 0; i-- {
			fields = append(fields, Field{Name: names[rng.IntN(len(names))], Value: strconv.Itoa(len(fields))})
		}
		n := rng.IntN(len(fields) + 1)
		slices.SortStableFunc(fields[:n], func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		want := slices.Clone(fields)
		slices.SortStableFunc(want, func(a, b Field) int { return strings.Compare(a.Name, b.Name) })
		SortTail(fields, n)
		if diff := cmp.Diff(want, fields); diff != "" {
			t.Fatalf("round %d, n=%d (-want +got):\n%s", round, n, diff)
		}
	}
}
