package auth

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// maxLimiterKeys bounds each of the limiter's maps (users, addresses),
// so an attacker rotating names or addresses cannot grow them without
// end. When one is full of live entries, the key whose last attempt is
// oldest is forgotten.
const maxLimiterKeys = 10000

// limiter counts login attempts per user and per remote address over a
// sliding window. An attempt is counted when it starts (so concurrent
// guesses cannot all pass the check before any fails) and uncounted
// when it succeeds. It is safe for concurrent use; its state is in
// memory only, so a restart forgets it.
type limiter struct {
	limit  int
	window time.Duration

	mu      sync.Mutex // mu guards users and remotes
	users   map[string][]time.Time
	remotes map[string][]time.Time
}

func newLimiter(limit int, window time.Duration) *limiter {
	return &limiter{
		limit:   limit,
		window:  window,
		users:   make(map[string][]time.Time),
		remotes: make(map[string][]time.Time),
	}
}

// begin counts an attempt for user (and for remote, unless it is empty)
// at now, or refuses it with how long to wait when either has had limit
// attempts within the window.
func (l *limiter) begin(user, remote string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if wait := l.waitBothLocked(user, remote, now); wait > 0 {
		return wait, false
	}
	l.addLocked(l.users, user, now)
	if remote != "" {
		l.addLocked(l.remotes, remote, now)
	}
	return 0, true
}

// check reports whether user and remote may try now, and if not, how
// long until they may, counting nothing.
func (l *limiter) check(user, remote string, now time.Time) (retryAfter time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := l.waitBothLocked(user, remote, now)
	return wait, wait <= 0
}

func (l *limiter) waitBothLocked(user, remote string, now time.Time) time.Duration {
	wait := l.waitLocked(l.users, user, now)
	if remote != "" {
		wait = max(wait, l.waitLocked(l.remotes, remote, now))
	}
	return wait
}

// succeed uncounts the attempt begun at at: the user's count starts
// afresh, the address keeps its other attempts.
func (l *limiter) succeed(user, remote string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.users, user)
	ts := l.remotes[remote]
	for i := len(ts) - 1; i >= 0; i-- {
		if ts[i].Equal(at) {
			l.remotes[remote] = append(ts[:i:i], ts[i+1:]...)
			break
		}
	}
}

// waitLocked drops key's attempts older than the window and returns how
// long until it may try again, or 0.
func (l *limiter) waitLocked(m map[string][]time.Time, key string, now time.Time) time.Duration {
	ts := l.liveLocked(m, key, now)
	if len(ts) < l.limit {
		return 0
	}
	return ts[len(ts)-l.limit].Add(l.window).Sub(now)
}

func (l *limiter) liveLocked(m map[string][]time.Time, key string, now time.Time) []time.Time {
	ts := m[key]
	i := 0
	for i < len(ts) && !ts[i].Add(l.window).After(now) {
		i++
	}
	if i == len(ts) {
		delete(m, key)
		return nil
	}
	if i > 0 {
		ts = append(ts[:0:0], ts[i:]...)
		m[key] = ts
	}
	return ts
}

func (l *limiter) addLocked(m map[string][]time.Time, key string, now time.Time) {
	if _, ok := m[key]; !ok && len(m) >= maxLimiterKeys {
		l.evictLocked(m, now)
	}
	ts := append(m[key], now)
	if len(ts) > l.limit {
		ts = ts[len(ts)-l.limit:]
	}
	m[key] = ts
}

// evictLocked makes room in a full map: it drops expired keys, and if
// none was, the key whose last attempt is oldest.
func (l *limiter) evictLocked(m map[string][]time.Time, now time.Time) {
	oldestKey, oldest := "", time.Time{}
	for k := range m {
		ts := l.liveLocked(m, k, now)
		if len(ts) > 0 && (oldestKey == "" || ts[len(ts)-1].Before(oldest)) {
			oldestKey, oldest = k, ts[len(ts)-1]
		}
	}
	if len(m) >= maxLimiterKeys {
		delete(m, oldestKey)
	}
}

// remoteKey reduces a client address ("host:port" or a bare address) to
// the key it is limited under: an IPv4 address, or an IPv6 /64, since
// one client commonly holds a whole /64.
func remoteKey(remote string) string {
	if remote == "" {
		return ""
	}
	host := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		host = h
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		if len(host) > 64 {
			host = host[:64]
		}
		return host
	}
	addr = addr.Unmap().WithZone("")
	if addr.Is6() {
		p, _ := addr.Prefix(64)
		return p.String()
	}
	return addr.String()
}
