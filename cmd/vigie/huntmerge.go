package main

import (
	"container/heap"
	"context"
	"fmt"
	"strconv"
	"time"

	formats "github.com/vigie-sec/vigie/internal/decode/detect"
	"github.com/vigie-sec/vigie/internal/detect"
	"github.com/vigie-sec/vigie/internal/event"
)

// maxMergedFiles bounds the files read at once by the time-ordered pass
// of the behaviour detectors.
const maxMergedFiles = 4096

// mergedItem is one event of one file in the time-ordered pass.
type mergedItem struct {
	ev  *event.Event
	ref string
}

// fileStream decodes one file into a channel, in the file's order.
type fileStream struct {
	events chan mergedItem
	head   mergedItem
}

// behaveInTimeOrder runs the behaviour detectors of eng over the files in
// event time order across files: every file is decoded by its own
// goroutine into a small buffer, and the event with the earliest time
// among the files' next events goes first (a k-way merge). Memory is
// bounded by the buffers; each file is expected in time order itself, as
// logs are. Detectors see event time move forward through Advance, as
// they do live.
func behaveInTimeOrder(ctx context.Context, files []string, reg *formats.Registry, format string,
	from, to time.Time, eng *detect.Engine, emit func(detect.Alert)) error {
	if len(files) > maxMergedFiles {
		return fmt.Errorf("behaviour detectors read all files at once in time order, at most %d; hunt %d files in several runs, or without --detectors", maxMergedFiles, len(files))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	streams := make(mergeHeap, 0, len(files))
	var pending []*fileStream
	for _, path := range files {
		s := &fileStream{events: make(chan mergedItem, 256)}
		pending = append(pending, s)
		go func() {
			defer close(s.events)
			var n int64
			sink := &sendSink{ctx: ctx, send: func(ev *event.Event) {
				n++
				if ev.Kind != event.KindEvent || (!from.IsZero() && ev.Time.Before(from)) || (!to.IsZero() && !ev.Time.Before(to)) {
					return
				}
				rec, ok := ev.Get("EventRecordID")
				if !ok {
					rec = strconv.FormatInt(n, 10)
				}
				select {
				case s.events <- mergedItem{ev, path + "#" + rec}:
				case <-ctx.Done():
				}
			}}
			decodeFile(reg, path, format, nil, sink)
		}()
	}
	for _, s := range pending {
		if it, ok := <-s.events; ok {
			s.head = it
			streams = append(streams, s)
		}
	}
	heap.Init(&streams)
	var last time.Time
	for len(streams) > 0 && ctx.Err() == nil {
		s := streams[0]
		it := s.head
		if it.ev.Time.Sub(last) >= time.Minute {
			for _, a := range eng.Advance(it.ev.Time) {
				emit(a)
			}
			last = it.ev.Time
		}
		for _, a := range eng.Behave(it.ev, it.ref) {
			emit(a)
		}
		if next, ok := <-s.events; ok {
			s.head = next
			heap.Fix(&streams, 0)
		} else {
			heap.Pop(&streams)
		}
	}
	return ctx.Err()
}

// sendSink hands decoded events to a function.
type sendSink struct {
	ctx  context.Context
	send func(*event.Event)
}

func (s *sendSink) Event(e *event.Event) error {
	s.send(e)
	return s.ctx.Err()
}

func (s *sendSink) Reject(string, int) {}

// mergeHeap orders file streams by the time of their next event.
type mergeHeap []*fileStream

func (h mergeHeap) Len() int           { return len(h) }
func (h mergeHeap) Less(i, j int) bool { return h[i].head.ev.Time.Before(h[j].head.ev.Time) }
func (h mergeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mergeHeap) Push(x any)        { *h = append(*h, x.(*fileStream)) }
func (h *mergeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
