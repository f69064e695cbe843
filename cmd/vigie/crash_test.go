package main

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestKillDuringIngest proves the durability promise: every event whose
// request was answered 200 is present after the server is killed with
// SIGKILL mid-ingest and restarted.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	dir := t.TempDir()
	s := startServer(t, dir)

	const perBatch = 200
	var (
		mu    sync.Mutex
		acked []string // batch ids answered 200
		sent  atomic.Int64
		wg    sync.WaitGroup
		stop  atomic.Bool
	)
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				id := fmt.Sprintf("w%db%d", w, i)
				var body bytes.Buffer
				for j := range perBatch {
					fmt.Fprintf(&body, `{"@timestamp":"2024-07-31T13:06:24Z","batch":"%s","seq":%d,"message":"crash test event %d"}`+"\n", id, j, j)
				}
				sent.Add(perBatch)
				req := s.url + "/api/v1/events"
				resp, err := postBody(req, s.token, body.Bytes())
				if err != nil {
					return // the server is gone
				}
				if resp == 200 {
					mu.Lock()
					acked = append(acked, id)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(time.Duration(800+rand.IntN(700)) * time.Millisecond)
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done
	stop.Store(true)
	wg.Wait()
	mu.Lock()
	ackedIDs := append([]string(nil), acked...)
	mu.Unlock()
	if len(ackedIDs) == 0 {
		t.Fatalf("no request was acknowledged before the kill; server log:\n%s", s.stderr.String())
	}

	s2 := startServer(t, dir)
	total := s2.count(t, "*")
	if want := int64(len(ackedIDs) * perBatch); total < want {
		t.Fatalf("after kill -9 and restart: %d events stored, but %d were acknowledged", total, want)
	}
	// Acknowledged batches are complete: check the last ones acknowledged
	// before the kill, where a loss would show, and a sample of the rest.
	check := ackedIDs[max(0, len(ackedIDs)-12):]
	for range 12 {
		check = append(check, ackedIDs[rand.IntN(len(ackedIDs))])
	}
	for _, id := range check {
		if n := s2.count(t, "batch:"+id); n != perBatch {
			t.Fatalf("batch %s was acknowledged but has %d of %d events after restart", id, n, perBatch)
		}
	}
	t.Logf("%d batches (%d events) acknowledged of %d sent; %d stored after restart",
		len(ackedIDs), len(ackedIDs)*perBatch, sent.Load(), total)
	s2.stop(t)
}
