package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-sec/vigie/internal/evidence/leaf"
	"github.com/vigie-sec/vigie/internal/store"
)

// RecordKind is the store.Records kind under which checkpoints are kept;
// a checkpoint's record ID is its size, zero-padded to 20 digits, so that
// the store lists them by size.
const RecordKind = "checkpoint"

// recordID returns the record ID of a checkpoint of size leaves.
func recordID(size int64) string { return fmt.Sprintf("%020d", size) }

// LogStore is what a Log needs from the store.
type LogStore interface {
	LeafSource
	PutRecord(ctx context.Context, r store.Record) error
	ListRecordsAfter(ctx context.Context, kind, after string, limit int) ([]store.Record, error)
	LastRecord(ctx context.Context, kind string) (store.Record, error)
}

// Config configures the integrity log service. Its zero value works. YAML:
//
//	origin: vigie-court-1
//	interval: 1m
//	witnesses:
//	  - file: /mnt/other/checkpoints.log
//	  - webhook: {url: "https://witness.example/vigie", secret: "…"}
//	  - syslog: {address: "siem.example:514", network: tcp}
type Config struct {
	// Origin names this instance in checkpoints; default the host name.
	Origin string `yaml:"origin,omitempty"`
	// Interval is how often Run signs a checkpoint when the log grew;
	// default 1 minute.
	Interval  time.Duration   `yaml:"interval,omitempty"`
	Witnesses []WitnessConfig `yaml:"witnesses,omitempty"`

	// Registerer, when set, receives the log's metrics.
	Registerer prometheus.Registerer `yaml:"-"`
	// Now is the clock; default time.Now.
	Now func() time.Time `yaml:"-"`
}

// DefaultInterval is Config.Interval's default.
const DefaultInterval = time.Minute

// ErrRewritten is returned by Open when the store's integrity log no
// longer matches the latest checkpoint signed from it: history was
// rewritten. `vigie verify --data` says where.
var ErrRewritten = errors.New("integrity log does not match its latest checkpoint")

// Log is the integrity log service: it keeps the Merkle tree over the
// store's ledger, signs checkpoints, keeps them in the store and pushes
// them to the witnesses. Its methods are safe for concurrent use.
type Log struct {
	st        LogStore
	key       *Key
	origin    string
	interval  time.Duration
	now       func() time.Time
	tree      *Tree
	witnesses []*witnessState
	metrics   *logMetrics

	signMu sync.Mutex // signMu serializes Checkpoint

	mu     sync.Mutex // mu guards latest
	latest *Checkpoint
}

// witnessState is a witness and how far it got. Its fields are guarded
// by Log.signMu, except status, guarded by its own mutex.
type witnessState struct {
	w witness

	mu     sync.Mutex // mu guards status
	status WitnessStatus
}

// WitnessStatus says how far a witness got.
type WitnessStatus struct {
	Name        string    `json:"name"`                  // "file:/mnt/…", "webhook:https://…", "syslog:udp/host:514"
	Size        int64     `json:"size"`                  // size of the last checkpoint it received; -1 for none
	LastSuccess time.Time `json:"last_success,omitzero"` // when it last received one
	LastError   string    `json:"last_error,omitempty"`  // the error of the last attempt, if it failed
	LastAttempt time.Time `json:"last_attempt,omitzero"` // when the last attempt was made
}

// Open starts the integrity log over st: it reads the ledger into the
// tree and the latest stored checkpoint, and checks that the tree still
// has that checkpoint's root (else an error matching ErrRewritten). It
// signs nothing: call Checkpoint or Run.
func Open(ctx context.Context, st LogStore, key *Key, cfg Config) (*Log, error) {
	if cfg.Origin == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("evidence: origin not set and no host name: %w", err)
		}
		cfg.Origin = host
	}
	if err := checkOrigin(cfg.Origin); err != nil {
		return nil, fmt.Errorf("evidence.origin: %w", err)
	}
	if cfg.Interval == 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Interval < time.Second {
		return nil, fmt.Errorf("evidence.interval: %s, want at least 1s", cfg.Interval)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	l := &Log{st: st, key: key, origin: cfg.Origin, interval: cfg.Interval, now: cfg.Now, tree: NewTree(st)}
	for i, wc := range cfg.Witnesses {
		w, err := newWitness(wc, fmt.Sprintf("evidence.witnesses[%d]", i), cfg.Origin)
		if err != nil {
			return nil, err
		}
		l.witnesses = append(l.witnesses, &witnessState{w: w, status: WitnessStatus{Name: w.name(), Size: -1}})
	}
	if cfg.Registerer != nil {
		m, err := newLogMetrics(cfg.Registerer, l)
		if err != nil {
			return nil, err
		}
		l.metrics = m
	}
	if err := l.tree.Sync(ctx); err != nil {
		return nil, err
	}
	last, err := st.LastRecord(ctx, RecordKind)
	if err != nil && !errors.Is(err, store.ErrNoRecord) {
		return nil, fmt.Errorf("reading checkpoints: %w", err)
	}
	if err == nil {
		var c Checkpoint
		if err := json.Unmarshal(last.Body, &c); err != nil {
			return nil, fmt.Errorf("checkpoint record %s: %w", last.ID, err)
		}
		if err := l.check(ctx, c); err != nil {
			return nil, err
		}
		l.latest = &c
	}
	return l, nil
}

// check verifies that c, the latest stored checkpoint, matches the tree.
// A checkpoint signed by another key (the key file was replaced) has its
// root checked but not its signature.
func (l *Log) check(ctx context.Context, c Checkpoint) error {
	if c.KeyID == l.key.Public().KeyID() {
		if err := c.Verify(l.key.Public()); err != nil {
			return fmt.Errorf("%w: %w", ErrRewritten, err)
		}
	}
	if c.Size > l.tree.Size() {
		return fmt.Errorf("%w: %s covers %d leaves, the log has %d", ErrRewritten, c, c.Size, l.tree.Size())
	}
	root, err := l.tree.Root(ctx, c.Size)
	if err != nil {
		return err
	}
	if root != c.Root {
		return fmt.Errorf("%w: %s: the first %d leaves have another root now; run vigie verify --data", ErrRewritten, c, c.Size)
	}
	return nil
}

// Public returns the public key checkpoints are signed with.
func (l *Log) Public() PublicKey { return l.key.Public() }

// Origin returns the name checkpoints are signed under.
func (l *Log) Origin() string { return l.origin }

// Tree returns the Merkle tree, for proofs. It covers the leaves as of
// the last Checkpoint (or Open).
func (l *Log) Tree() *Tree { return l.tree }

// Latest returns the latest checkpoint, and false when none was signed.
func (l *Log) Latest() (Checkpoint, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.latest == nil {
		return Checkpoint{}, false
	}
	return *l.latest, true
}

// Checkpoint reads the new leaves and, when the log grew since the latest
// checkpoint (or none was signed yet), signs a checkpoint of it and
// stores it; else it returns the latest. Then it pushes the latest
// checkpoint to every witness that does not have it yet, waiting for
// them (each delivery is bounded by its timeout); a witness's failure is
// not an error of Checkpoint, it shows in WitnessStatus and is retried
// on the next call. A witness that missed checkpoints receives only the
// latest, which commits to all earlier ones.
func (l *Log) Checkpoint(ctx context.Context) (Checkpoint, error) {
	l.signMu.Lock()
	defer l.signMu.Unlock()
	if err := l.tree.Sync(ctx); err != nil {
		return Checkpoint{}, err
	}
	c, err := l.signLocked(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	l.deliverLocked(ctx, c)
	return c, nil
}

// signLocked signs and stores a checkpoint when the tree grew.
func (l *Log) signLocked(ctx context.Context) (Checkpoint, error) {
	size := l.tree.Size()
	if latest, ok := l.Latest(); ok && latest.Size >= size {
		return latest, nil
	}
	root, err := l.tree.Root(ctx, size)
	if err != nil {
		return Checkpoint{}, err
	}
	c := SignCheckpoint(l.key, l.origin, size, root, l.now())
	body, err := json.Marshal(c)
	if err != nil {
		return Checkpoint{}, err
	}
	if err := l.st.PutRecord(ctx, store.Record{Kind: RecordKind, ID: recordID(size), Body: body, Updated: c.Time}); err != nil {
		return Checkpoint{}, fmt.Errorf("storing %s: %w", c, err)
	}
	l.mu.Lock()
	l.latest = &c
	l.mu.Unlock()
	if l.metrics != nil {
		l.metrics.signed.Inc()
	}
	return c, nil
}

// deliverLocked pushes c to the witnesses that lack it, in parallel.
func (l *Log) deliverLocked(ctx context.Context, c Checkpoint) {
	var wg sync.WaitGroup
	for _, ws := range l.witnesses {
		ws.mu.Lock()
		behind := ws.status.Size < c.Size
		ws.mu.Unlock()
		if !behind {
			continue
		}
		wg.Go(func() {
			err := ws.w.push(ctx, c)
			now := l.now()
			ws.mu.Lock()
			defer ws.mu.Unlock()
			ws.status.LastAttempt = now
			if err != nil {
				ws.status.LastError = err.Error()
				if l.metrics != nil {
					l.metrics.witnessFailures.WithLabelValues(ws.status.Name).Inc()
				}
				return
			}
			ws.status.LastError = ""
			ws.status.LastSuccess = now
			ws.status.Size = c.Size
		})
	}
	wg.Wait()
}

// WitnessStatus returns how far each witness got, in configuration order.
func (l *Log) WitnessStatus() []WitnessStatus {
	out := make([]WitnessStatus, len(l.witnesses))
	for i, ws := range l.witnesses {
		ws.mu.Lock()
		out[i] = ws.status
		ws.mu.Unlock()
	}
	return out
}

// Run signs a checkpoint every interval when the log grew, and retries
// witnesses that failed, until ctx ends. It returns ctx's error, or the
// first error of reading or writing the store, which stops it.
func (l *Log) Run(ctx context.Context) error {
	tick := time.NewTicker(l.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("integrity log: %w", err)
		}
	}
}

// MaxCheckpoints bounds what one Checkpoints call returns.
const MaxCheckpoints = 1000

// Checkpoints returns up to limit stored checkpoints whose size is above
// after, by increasing size; limit <= 0 or above MaxCheckpoints means
// MaxCheckpoints.
func (l *Log) Checkpoints(ctx context.Context, after int64, limit int) ([]Checkpoint, error) {
	if limit <= 0 || limit > MaxCheckpoints {
		limit = MaxCheckpoints
	}
	recs, err := l.st.ListRecordsAfter(ctx, RecordKind, recordID(after), limit)
	if err != nil {
		return nil, fmt.Errorf("reading checkpoints: %w", err)
	}
	var out []Checkpoint
	for _, r := range recs {
		var c Checkpoint
		if err := json.Unmarshal(r.Body, &c); err != nil {
			return nil, fmt.Errorf("checkpoint record %s: %w", r.ID, err)
		}
		out = append(out, c)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// InclusionProof returns the inclusion proof of leaf index in the tree of
// size leaves (Tree.InclusionProof).
func (l *Log) InclusionProof(ctx context.Context, index, size int64) ([]leaf.Hash, error) {
	return l.tree.InclusionProof(ctx, index, size)
}

// ConsistencyProof returns the consistency proof between the trees of
// size1 and size2 leaves (Tree.ConsistencyProof).
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 int64) ([]leaf.Hash, error) {
	return l.tree.ConsistencyProof(ctx, size1, size2)
}

// logMetrics are the Log's Prometheus metrics.
type logMetrics struct {
	signed          prometheus.Counter
	witnessFailures *prometheus.CounterVec
}

func newLogMetrics(reg prometheus.Registerer, l *Log) (*logMetrics, error) {
	m := &logMetrics{
		signed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vigie_evidence_checkpoints_signed_total", Help: "Checkpoints of the integrity log signed.",
		}),
		witnessFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vigie_evidence_witness_failures_total", Help: "Failed deliveries of a checkpoint to a witness.",
		}, []string{"witness"}),
	}
	size := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vigie_evidence_tree_size", Help: "Leaves of the integrity log read into the Merkle tree.",
	}, func() float64 { return float64(l.tree.Size()) })
	for _, c := range []prometheus.Collector{m.signed, m.witnessFailures, size} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering integrity log metrics: %w", err)
		}
	}
	return m, nil
}
