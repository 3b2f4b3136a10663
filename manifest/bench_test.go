package manifest_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/manifest"
)

// benchLines returns n distinct user-like entity lines of about 300 bytes.
func benchLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		lines[i] = fmt.Sprintf(`{"PartitionKey":"user-%07d","RowKey":"profile","Email":"user%d@example.com","EmailConfirmed":true,"LoginCount":%d,"PasswordHash":"AQAAAAIAAYagAAAAE%040d","Created@odata.type":"Edm.DateTime","Created":"2026-01-02T03:04:05.1234567Z"}`, i, i, i%1000, i)
	}
	return lines
}

// BenchmarkVerify measures verify per entity: decoding, hashing, parsing
// every line and the duplicate-key check.
func BenchmarkVerify(b *testing.B) {
	const n = 20000
	lines := benchLines(n)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	for _, name := range []string{codec.NameJSONL, codec.NameJSONLGzip} {
		b.Run(name, func(b *testing.B) {
			dir, _ := writeBackup(b, name, testTable{"Users", lines})
			b.SetBytes(size) // uncompressed lines, so that both codecs compare

			b.ResetTimer()
			for range b.N {
				r, err := manifest.Verify(context.Background(), dir, manifest.VerifyOptions{})
				if err != nil || !r.OK() {
					b.Fatalf("Verify: %v %v", err, r.Problems)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entities/s")
		})
	}
}

// BenchmarkHashWriter measures the SHA-256 that backup computes while it
// writes each file.
func BenchmarkHashWriter(b *testing.B) {
	buf := make([]byte, 256<<10)
	b.SetBytes(int64(len(buf)))
	h := manifest.NewHashWriter(io.Discard)
	for range b.N {
		h.Write(buf)
	}
}
