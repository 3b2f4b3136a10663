package codec_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
)

// benchLines returns n entity-sized lines of about 600 bytes with the
// variety of real data, so that compression ratios are realistic.
func benchLines(n int) [][]byte {
	lines := make([][]byte, n)
	for i := range lines {
		lines[i] = fmt.Appendf(nil, `{"PartitionKey":"%032x","RowKey":"profile","Email":"user%d@example.com",`+
			`"PasswordHash":"PBKDF2v1$%064x","AccessFailedCount":%d,"IsActive":true,`+
			`"CreatedAt@odata.type":"Edm.DateTime","CreatedAt":"2024-05-01T08:%02d:%02d.%07dZ",`+
			`"RolesJson":"[\"user\"]","CustomAttributesJson":"{\"n\":%d}"}`,
			i*7919, i, i*104729, i%5, i%60, i%60, i, i)
	}
	return lines
}

func BenchmarkWrite(b *testing.B) {
	lines := benchLines(10000)
	var size int64
	for _, l := range lines {
		size += int64(len(l) + 1)
	}
	for _, c := range codec.All() {
		c := codec.WithKeys(c, testKeys)
		b.Run(c.Name(), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				w, err := c.NewWriter(io.Discard)
				if err != nil {
					b.Fatal(err)
				}
				for _, l := range lines {
					if err := w.WriteLine(l); err != nil {
						b.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	lines := benchLines(10000)
	var size int64
	for _, l := range lines {
		size += int64(len(l) + 1)
	}
	for _, c := range codec.All() {
		c := codec.WithKeys(c, testKeys)
		var encoded bytes.Buffer
		w, _ := c.NewWriter(&encoded)
		for _, l := range lines {
			_ = w.WriteLine(l)
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		b.Run(c.Name(), func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				r, err := c.NewReader(bytes.NewReader(encoded.Bytes()))
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := r.ReadLine()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				r.Close()
			}
		})
	}
}
