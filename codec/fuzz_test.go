package codec_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"

	"filippo.io/age"

	"github.com/authagonal/authagonal-tables/codec"
)

// readLines reads data with c until ReadLine fails and returns the lines
// joined with their newlines, and the error that ended reading. An error
// from NewReader comes back wrapped, so only ReadLine's end of stream equals
// io.EOF. TestGzipTruncated covers what NewReader returns for empty input.
func readLines(t *testing.T, c codec.Codec, data []byte) ([]byte, error) {
	r, err := c.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("NewReader: %w", err)
	}
	defer r.Close()
	var content []byte
	for {
		line, err := r.ReadLine()
		if err != nil {
			return content, err
		}
		if bytes.IndexByte(line, '\n') >= 0 {
			t.Fatalf("ReadLine returned a line with a newline: %q", line)
		}
		content = append(append(content, line...), '\n')
	}
}

// FuzzJSONLReader checks that the plain reader never panics and, when it
// ends cleanly, returned every byte of the input.
func FuzzJSONLReader(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("\n"))
	f.Add([]byte("a\n\nb\n"))
	f.Add([]byte("partial"))
	f.Add([]byte("a\r\nb\r\n"))
	f.Add([]byte(`{"PartitionKey":"p","RowKey":"r"}` + "\n"))
	f.Add(gzipBytes([]byte("a\n"), gzip.DefaultCompression))

	c := mustByName(f, codec.NameJSONL)
	f.Fuzz(func(t *testing.T, data []byte) {
		content, err := readLines(t, c, data)
		if err != io.EOF {
			return
		}
		if !bytes.Equal(content, data) {
			t.Fatalf("reader ended cleanly, but its lines %q differ from the input %q", content, data)
		}
	})
}

// FuzzGzipReader checks that the gzip reader never panics and that it never
// ends cleanly on input that compress/gzip rejects or decodes differently.
func FuzzGzipReader(f *testing.F) {
	c := mustByName(f, codec.NameJSONLGzip)
	f.Add([]byte(""))
	f.Add(encode(f, c, nil))
	f.Add(encode(f, c, [][]byte{[]byte("a"), {}, []byte(`{"PartitionKey":"p","RowKey":"r"}`)}))
	f.Add(gzipBytes([]byte("partial"), gzip.BestSpeed))
	f.Add(gzipBytes(bytes.Repeat([]byte("line\n"), 50), gzip.NoCompression))
	two := append(encode(f, c, [][]byte{[]byte("a")}), encode(f, c, [][]byte{[]byte("b")})...)
	f.Add(two)
	f.Add(append(encode(f, c, [][]byte{[]byte("a")}), 0, 0, 0, 0))
	f.Add([]byte("plain text\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		content, err := readLines(t, c, data)
		if err != io.EOF {
			return
		}

		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("codec read %q cleanly, but compress/gzip rejects the header: %v", data, err)
		}
		want, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("codec read %q cleanly, but compress/gzip fails: %v", data, err)
		}
		if !bytes.Equal(content, want) {
			t.Fatalf("codec read %q, compress/gzip read %q", content, want)
		}
	})
}

// FuzzAgeReader checks that the encrypted reader never panics and never
// ends cleanly on input other than what the identity's age encryption of
// some lines gives: anything it accepts must decrypt with age itself to
// the same content.
func FuzzAgeReader(f *testing.F) {
	f.Add(ageBytes([]byte("a\n")))
	f.Add(ageBytes(nil))
	f.Add(ageBytes(gzipBytes([]byte("a\n"), gzip.DefaultCompression)))
	f.Add([]byte("age-encryption.org/v1\n-> X25519 AAAA\nBBBB\n--- CCCC\n"))
	f.Add([]byte{})

	c := codec.WithKeys(mustByName(f, codec.NameJSONL+codec.EncryptedSuffix), testKeys)
	f.Fuzz(func(t *testing.T, data []byte) {
		content, err := readLines(t, c, data)
		if err != io.EOF {
			return
		}
		r, err := age.Decrypt(bytes.NewReader(data), testIdentity)
		if err != nil {
			t.Fatalf("reader ended cleanly, but age rejects the file: %v", err)
		}
		plain, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(plain, content) {
			t.Fatalf("reader ended cleanly with %q, but age reads %q, %v", content, plain, err)
		}
	})
}
