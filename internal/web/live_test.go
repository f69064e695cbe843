package web

import (
	"strings"
	"testing"

	"github.com/vigie-sec/vigie/internal/auth"
)

// TestLivePollIsBackground checks that the live refresh marks its polls
// as background requests, which auth does not count as use of the
// session (auth.TestSessionBackground): an open page still idles out.
func TestLivePollIsBackground(t *testing.T) {
	b, err := staticFS.ReadFile("static/live.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"`+auth.BackgroundHeader+`": "1"`) {
		t.Errorf("live.js does not send %s with its polls", auth.BackgroundHeader)
	}
}
