package codec_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
)

// gzipSample returns lines and their jsonl.gz encoding, large enough to span
// several deflate blocks.
func gzipSample(t *testing.T) ([][]byte, []byte) {
	t.Helper()
	var lines [][]byte
	for i := range 3000 {
		lines = append(lines, fmt.Appendf(nil, `{"PartitionKey":"p%d","RowKey":"%08d","Note":"row %d of the sample"}`, i%13, i*7919, i))
	}
	return lines, encode(t, mustByName(t, codec.NameJSONLGzip), lines)
}

// checkFails checks that reading data as jsonl.gz ends in an error other
// than io.EOF, from NewReader or from ReadLine.
func checkFails(t *testing.T, data []byte) {
	t.Helper()
	r, err := mustByName(t, codec.NameJSONLGzip).NewReader(bytes.NewReader(data))
	if err == io.EOF {
		t.Fatalf("NewReader returned io.EOF, which callers take for a clean end. Expected an error such as io.ErrUnexpectedEOF")
	}
	if err != nil {
		return
	}
	defer r.Close()

	lines := 0
	for {
		_, err := r.ReadLine()
		if err == io.EOF {
			t.Fatalf("ReadLine returned io.EOF after %d lines, expected an error", lines)
		}
		if err != nil {
			return
		}
		lines++
	}
}

func TestGzipTruncated(t *testing.T) {
	_, data := gzipSample(t)
	n := len(data)
	cuts := []struct {
		name   string
		length int
	}{
		{"cut at 0", 0},
		{"cut at 1", 1},
		{"cut in header", 9},
		{"cut after header", 10},
		{"cut early", 20},
		{"cut at middle", n / 2},
		{"cut before trailer", n - 8},
		{"cut in CRC", n - 6},
		{"cut before size", n - 4},
		{"cut last byte", n - 1},
	}
	for _, cut := range cuts {
		t.Run(cut.name, func(t *testing.T) {
			checkFails(t, data[:cut.length])
		})
	}
}

// gzipWithHeader returns a gzip member of raw whose header carries the
// optional extra, name and comment fields, and the offsets of those fields.
func gzipWithHeader(t *testing.T, raw []byte) (data []byte, extra, name, comment int) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Extra = []byte("xy\x04\x00data")
	zw.Name = "Users.jsonl"
	zw.Comment = "table backup"
	if _, err := zw.Write(raw); err != nil {
		t.Fatalf("gzip Write: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("gzip Close: %v", err)
	}
	extra = 10 // After the fixed header: two bytes of length, then the field.
	name = extra + 2 + len(zw.Extra)
	comment = name + len(zw.Name) + 1
	return buf.Bytes(), extra, name, comment
}

// TestGzipTruncatedHeaderFields cuts a file inside the optional header
// fields of its first or second member. GNU gzip, for one, writes the name
// field with the original file name.
func TestGzipTruncatedHeaderFields(t *testing.T) {
	member, extra, name, comment := gzipWithHeader(t, []byte("b\n"))
	first := encode(t, mustByName(t, codec.NameJSONLGzip), [][]byte{[]byte("a")})
	cuts := []struct {
		name   string
		length int
	}{
		{"before extra length", extra},
		{"in extra length", extra + 1},
		{"before extra data", extra + 2},
		{"in extra data", extra + 4},
		{"at name", name},
		{"in name", name + 3},
		{"before name NUL", comment - 1},
		{"at comment", comment},
		{"in comment", comment + 3},
	}
	for _, cut := range cuts {
		t.Run("first member "+cut.name, func(t *testing.T) {
			checkFails(t, member[:cut.length])
		})
		t.Run("second member "+cut.name, func(t *testing.T) {
			checkFails(t, append(bytes.Clone(first), member[:cut.length]...))
		})
	}
}

func TestGzipPadded(t *testing.T) {
	_, data := gzipSample(t)
	paddings := []struct {
		name    string
		padding []byte
	}{
		{"one zero", []byte{0}},
		{"nine zeros", make([]byte, 9)},
		{"ten zeros", make([]byte, 10)},
		{"512 zeros", make([]byte, 512)},
		{"text", []byte("trailing garbage after the gzip member\n")},
		{"partial header", []byte{0x1f, 0x8b, 0x08}},
		{"header with name flag", append([]byte{0x1f, 0x8b, 0x08, 0x08, 0, 0, 0, 0, 0, 0x03}, "Users.jsonl"...)},
		{"header with extra flag", []byte{0x1f, 0x8b, 0x08, 0x04, 0, 0, 0, 0, 0, 0x03}},
	}
	for _, p := range paddings {
		t.Run(p.name, func(t *testing.T) {
			checkFails(t, append(bytes.Clone(data), p.padding...))
		})
	}
}

func TestGzipMembers(t *testing.T) {
	c := mustByName(t, codec.NameJSONLGzip)
	first := [][]byte{[]byte("a"), []byte("b")}
	second := [][]byte{[]byte("c"), {}, []byte("d")}

	tests := []struct {
		name string
		data []byte
		want [][]byte
	}{
		{
			"two members",
			append(encode(t, c, first), encode(t, c, second)...),
			append(append([][]byte{}, first...), second...),
		},
		{
			"empty member first",
			append(encode(t, c, nil), encode(t, c, second)...),
			second,
		},
		{
			"line across members",
			append(gzipBytes([]byte("a\nsplit "), gzip.BestSpeed), gzipBytes([]byte("line\n"), gzip.BestSpeed)...),
			[][]byte{[]byte("a"), []byte("split line")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decode(c, tt.data)
			if err != io.EOF {
				t.Errorf("reading ended with %v, expected io.EOF", err)
			}
			checkLines(t, got, tt.want)
		})
	}
}

func TestGzipCorrupt(t *testing.T) {
	_, compressed := gzipSample(t)
	// A stored (level 0) member keeps the line bytes as they are, so a
	// flipped byte in them changes the content without breaking the deflate
	// structure, and only the CRC-32 can catch it.
	stored := gzipBytes(bytes.Repeat([]byte(`{"PartitionKey":"p","RowKey":"r"}`+"\n"), 100), gzip.NoCompression)

	tests := []struct {
		name   string
		data   []byte
		offset int
	}{
		{"compressed data", compressed, len(compressed) / 2},
		{"compressed start", compressed, 12},
		{"stored data", stored, len(stored) / 2},
		{"CRC", compressed, len(compressed) - 8},
		{"size", compressed, len(compressed) - 4},
		{"magic", compressed, 0},
		{"method", compressed, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := bytes.Clone(tt.data)
			data[tt.offset] ^= 0x01
			checkFails(t, data)
		})
	}
}

func TestGzipStandardReader(t *testing.T) {
	lines, data := gzipSample(t)
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("compress/gzip NewReader: %v", err)
	}
	got, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("compress/gzip could not read the codec's output: %v", err)
	}
	want := append(bytes.Join(lines, []byte("\n")), '\n')
	if !bytes.Equal(got, want) {
		t.Errorf("compress/gzip read %d bytes, expected %d", len(got), len(want))
	}
}
