package simulate

import (
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// rng is the random source of one part of the simulation. Each part
// (organisation, each person's days, the breach…) has its own stream,
// derived from the seed and the part's name, so that changing how much
// one part draws does not reshuffle the others.
type rng struct{ *rand.Rand }

// newRNG returns the stream named name of seed.
func newRNG(seed uint64, name string) rng {
	return rng{rand.New(rand.NewPCG(seed, hash64(name)))}
}

func hash64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// between returns a duration uniform in [lo, hi).
func (r rng) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(r.Int64N(int64(hi-lo)))
}

// jitter returns d scaled by a uniform factor in [1-f, 1+f].
func (r rng) jitter(d time.Duration, f float64) time.Duration {
	return time.Duration(float64(d) * (1 - f + 2*f*r.Float64()))
}

// chance reports true with probability p.
func (r rng) chance(p float64) bool { return r.Float64() < p }

// pick returns one element of list.
func pick[T any](r rng, list []T) T { return list[r.IntN(len(list))] }

// intIn returns an integer uniform in [lo, hi].
func (r rng) intIn(lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// uuid returns a random version 4 UUID in lower case.
func (r rng) uuid() string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// zeekUID returns a connection uid as Zeek writes them: "C" and 17
// base-62 characters.
func (r rng) zeekUID() string {
	return "C" + r.word(base62, 17)
}

// word returns n characters drawn from alphabet.
func (r rng) word(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// hexWord returns n lower-case hexadecimal digits.
func (r rng) hexWord(n int) string { return r.word("0123456789abcdef", n) }

// ephemeralPort returns a client port in the range Windows and Linux use.
func (r rng) ephemeralPort() int { return r.intIn(49152, 65500) }
