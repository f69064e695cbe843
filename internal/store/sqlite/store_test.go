package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/vigie-sec/vigie/internal/store"
	"github.com/vigie-sec/vigie/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dir string) store.Store {
		s, err := Open(filepath.Join(dir, "events.db"), Config{})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}
