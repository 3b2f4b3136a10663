package sampledata

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"time"
)

// source wraps the seeded generator with the value shapes the data set
// needs. Every random choice of the package goes through it, so one seed
// always yields the same data.
type source struct {
	rng *rand.Rand
}

func newSource(seed int64) *source {
	// PCG takes two 64-bit words. The second is a fixed constant so that
	// the whole stream depends on the seed alone.
	return &source{rng: rand.New(rand.NewPCG(uint64(seed), 0x5eed_da7a_0a07_4a91))}
}

// chance returns true with probability p.
func (s *source) chance(p float64) bool {
	return s.rng.Float64() < p
}

// between returns a whole number in [lo, hi].
func (s *source) between(lo, hi int) int {
	return lo + s.rng.IntN(hi-lo+1)
}

func (s *source) bytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	return b
}

// hexID returns 32 lowercase hexadecimal digits, a GUID in .NET's "N" form.
func (s *source) hexID() string {
	return hex.EncodeToString(s.bytes(16))
}

// guid returns a random version 4 GUID in the 8-4-4-4-12 form.
func (s *source) guid() string {
	b := s.bytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// token returns n random bytes in unpadded base64url, the form of OAuth
// handles and WebAuthn credential ids. It contains no '/', which keys
// forbid.
func (s *source) token(n int) string {
	return base64.RawURLEncoding.EncodeToString(s.bytes(n))
}

// timeBefore returns a time up to span before t, with 100 ns resolution.
func (s *source) timeBefore(t time.Time, span time.Duration) time.Time {
	return t.Add(-s.duration(span))
}

// timeAfter returns a time up to span after t, with 100 ns resolution.
func (s *source) timeAfter(t time.Time, span time.Duration) time.Time {
	return t.Add(s.duration(span))
}

// duration returns a random duration in (0, span] in steps of 100 ns, or
// zero when span is shorter than one step.
func (s *source) duration(span time.Duration) time.Duration {
	ticks := int64(span / 100)
	if ticks <= 0 {
		return 0
	}
	return time.Duration(s.rng.Int64N(ticks)+1) * 100
}

func pick[T any](s *source, items []T) T {
	return items[s.rng.IntN(len(items))]
}

// sha256Hex returns the lowercase hex SHA-256 of v.
func sha256Hex(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

func sha256Base64(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.StdEncoding.EncodeToString(sum[:])
}

func base64Std(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}
