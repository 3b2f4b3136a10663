package codec_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/codec"
)

// encodeRaw maps each codec name to an encoder that returns the bytes of a
// file whose decoded content is exactly raw. Unlike a codec Writer, it can
// write content that a Writer never produces, such as a last line without
// its newline. The gzip encoder is compress/gzip, so the tests also check
// that the codec reads gzip written by other tools.
var encodeRaw = map[string]func(raw []byte) []byte{
	codec.NameJSONL: func(raw []byte) []byte {
		return bytes.Clone(raw)
	},
	codec.NameJSONLGzip: func(raw []byte) []byte {
		return gzipBytes(raw, gzip.DefaultCompression)
	},
	codec.NameJSONL + codec.EncryptedSuffix: func(raw []byte) []byte {
		return ageBytes(raw)
	},
	codec.NameJSONLGzip + codec.EncryptedSuffix: func(raw []byte) []byte {
		return ageBytes(gzipBytes(raw, gzip.DefaultCompression))
	},
}

func gzipBytes(raw []byte, level int) []byte {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		panic(err)
	}
	if _, err := zw.Write(raw); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// encode writes lines with the codec's Writer and returns the file bytes.
func encode(t testing.TB, c codec.Codec, lines [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := c.NewWriter(&buf)
	if err != nil {
		t.Fatalf("%s: NewWriter: %v", c.Name(), err)
	}
	for i, line := range lines {
		if err := w.WriteLine(line); err != nil {
			t.Fatalf("%s: WriteLine %d: %v", c.Name(), i+1, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: Close: %v", c.Name(), err)
	}
	return buf.Bytes()
}

// decode reads data with the codec until ReadLine fails. It returns copies
// of the lines read and the error that ended reading, which is io.EOF for a
// clean end. An error from NewReader is returned the same way.
func decode(c codec.Codec, data []byte) ([][]byte, error) {
	r, err := c.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var lines [][]byte
	for {
		line, err := r.ReadLine()
		if err != nil {
			return lines, err
		}
		lines = append(lines, bytes.Clone(line))
	}
}

// checkLines reports each line of got that differs from want. It prints at
// most 60 bytes of a line, because some test lines are megabytes long.
func checkLines(t *testing.T, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("read %d lines, expected %d", len(got), len(want))
		return
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("line %d: got %d bytes %.60q, expected %d bytes %.60q", i+1, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

func sampleLines() [][]byte {
	return [][]byte{
		[]byte(`{"PartitionKey":"p","RowKey":"1"}`),
		{},
		[]byte(`{"PartitionKey":"p","RowKey":"2","Name":"Zürich 😀"}`),
		{},
		{},
		[]byte("carriage\rreturn kept"),
		bytes.Repeat([]byte("a"), 70<<10),
		bytes.Repeat([]byte("0123456789abcdef"), 5<<20/16),
		[]byte(`{"PartitionKey":"p","RowKey":"3"}`),
	}
}

func TestCodecConformance(t *testing.T) {
	all := codec.All()
	if len(all) < 2 {
		t.Fatalf("All() returned %d codecs, expected at least jsonl and jsonl.gz", len(all))
	}
	for _, c := range all {
		raw, ok := encodeRaw[c.Name()]
		if !ok {
			t.Fatalf("codec %q has no entry in encodeRaw: add an encoder for its format", c.Name())
		}
		c := codec.WithKeys(c, testKeys)
		t.Run(c.Name(), func(t *testing.T) {
			testRoundTrip(t, c)
			testEmpty(t, c, raw)
			testPartialLine(t, c, raw)
			testLineLength(t, c, raw)
			testWriter(t, c)
			testNoClose(t, c)
		})
	}
}

func testRoundTrip(t *testing.T, c codec.Codec) {
	t.Run("round trip", func(t *testing.T) {
		want := sampleLines()
		got, err := decode(c, encode(t, c, want))
		if err != io.EOF {
			t.Errorf("reading ended with %v, expected io.EOF", err)
		}
		checkLines(t, got, want)
	})

	t.Run("many lines", func(t *testing.T) {
		var want [][]byte
		for i := range 20000 {
			want = append(want, fmt.Appendf(nil, `{"PartitionKey":"p%d","RowKey":"%d"}`, i%7, i))
		}
		got, err := decode(c, encode(t, c, want))
		if err != io.EOF {
			t.Errorf("reading ended with %v, expected io.EOF", err)
		}
		checkLines(t, got, want)
	})

	t.Run("read raw", func(t *testing.T) {
		got, err := decode(c, encodeRaw[c.Name()]([]byte("a\n\nb\n")))
		if err != io.EOF {
			t.Errorf("reading ended with %v, expected io.EOF", err)
		}
		checkLines(t, got, [][]byte{[]byte("a"), {}, []byte("b")})
	})
}

func testEmpty(t *testing.T, c codec.Codec, raw func([]byte) []byte) {
	t.Run("no lines", func(t *testing.T) {
		data := encode(t, c, nil)
		r, err := c.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("NewReader: %v", err)
		}
		defer r.Close()
		if line, err := r.ReadLine(); err != io.EOF {
			t.Errorf("first ReadLine = %q, %v; expected io.EOF", line, err)
		}
		if line, err := r.ReadLine(); err != io.EOF {
			t.Errorf("ReadLine after io.EOF = %q, %v; expected io.EOF again", line, err)
		}
	})

	t.Run("one empty line", func(t *testing.T) {
		got, err := decode(c, raw([]byte("\n")))
		if err != io.EOF {
			t.Errorf("reading ended with %v, expected io.EOF", err)
		}
		checkLines(t, got, [][]byte{{}})
	})
}

func testPartialLine(t *testing.T, c codec.Codec, raw func([]byte) []byte) {
	tests := []struct {
		name    string
		content string
		want    [][]byte
	}{
		{"partial only line", `{"PartitionKey":"p"`, nil},
		{"partial last line", "a\nb\n{\"Partition", [][]byte{[]byte("a"), []byte("b")}},
		{"partial after empty", "\n ", [][]byte{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := raw([]byte(tt.content))
			r, err := c.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("NewReader: %v", err)
			}
			defer r.Close()

			var got [][]byte
			var last error
			for {
				line, err := r.ReadLine()
				if err != nil {
					last = err
					break
				}
				got = append(got, bytes.Clone(line))
			}
			if !errors.Is(last, codec.ErrPartialLine) {
				t.Errorf("reading ended with %v, expected ErrPartialLine", last)
			}
			checkLines(t, got, tt.want)
			if _, err := r.ReadLine(); !errors.Is(err, codec.ErrPartialLine) {
				t.Errorf("ReadLine after ErrPartialLine = %v, expected ErrPartialLine again", err)
			}
		})
	}
}

func testLineLength(t *testing.T, c codec.Codec, raw func([]byte) []byte) {
	longest := bytes.Repeat([]byte("x"), codec.MaxLineBytes)

	t.Run("line of MaxLineBytes", func(t *testing.T) {
		content := append(append([]byte("first\n"), longest...), "\nlast\n"...)
		got, err := decode(c, raw(content))
		if err != io.EOF {
			t.Errorf("reading ended with %v, expected io.EOF", err)
		}
		checkLines(t, got, [][]byte{[]byte("first"), longest, []byte("last")})
	})

	t.Run("line over MaxLineBytes", func(t *testing.T) {
		content := append(append([]byte("first\n"), longest...), "y\nlast\n"...)
		got, err := decode(c, raw(content))
		if !errors.Is(err, codec.ErrLineTooLong) {
			t.Errorf("reading ended with %v, expected ErrLineTooLong", err)
		}
		checkLines(t, got, [][]byte{[]byte("first")})
	})

	t.Run("long line without newline", func(t *testing.T) {
		content := append(bytes.Clone(longest), "yz"...)
		_, err := decode(c, raw(content))
		if !errors.Is(err, codec.ErrLineTooLong) {
			t.Errorf("reading ended with %v, expected ErrLineTooLong", err)
		}
	})
}

func testWriter(t *testing.T, c codec.Codec) {
	t.Run("newline in line", func(t *testing.T) {
		w, err := c.NewWriter(io.Discard)
		if err != nil {
			t.Fatalf("NewWriter: %v", err)
		}
		if err := w.WriteLine([]byte("a\nb")); err == nil {
			t.Errorf("WriteLine accepted a line with a newline")
		}
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	t.Run("write after close", func(t *testing.T) {
		w, err := c.NewWriter(io.Discard)
		if err != nil {
			t.Fatalf("NewWriter: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := w.WriteLine([]byte("a")); err == nil {
			t.Errorf("WriteLine after Close succeeded")
		}
	})

	t.Run("write error", func(t *testing.T) {
		w, err := c.NewWriter(failingWriter{})
		if err != nil {
			// age writes its header at once, so the error may come here.
			return
		}
		line := bytes.Repeat([]byte("z"), 1<<20)
		var writeErr error
		for range 8 {
			if writeErr = w.WriteLine(line); writeErr != nil {
				break
			}
		}
		closeErr := w.Close()
		if writeErr == nil && closeErr == nil {
			t.Errorf("WriteLine and Close both succeeded on a writer that always fails")
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// closeRecorder is a buffer that records whether Close was called.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error {
	c.closed = true
	return nil
}

func testNoClose(t *testing.T, c codec.Codec) {
	t.Run("writer leaves target open", func(t *testing.T) {
		target := &closeRecorder{}
		w, err := c.NewWriter(target)
		if err != nil {
			t.Fatalf("NewWriter: %v", err)
		}
		if err := w.WriteLine([]byte("a")); err != nil {
			t.Fatalf("WriteLine: %v", err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if target.closed {
			t.Errorf("Writer.Close closed the underlying writer")
		}
		if target.Len() == 0 {
			t.Errorf("Writer.Close wrote nothing to the underlying writer")
		}
	})

	t.Run("reader leaves source open", func(t *testing.T) {
		source := &closeRecorder{}
		source.Write(encode(t, c, [][]byte{[]byte("a")}))
		r, err := c.NewReader(source)
		if err != nil {
			t.Fatalf("NewReader: %v", err)
		}
		if _, err := r.ReadLine(); err != nil {
			t.Fatalf("ReadLine: %v", err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if source.closed {
			t.Errorf("Reader.Close closed the underlying reader")
		}
	})
}

// TestCodecCrossDecoding checks that no codec reads another codec's file as
// the lines that were written.
func TestCodecCrossDecoding(t *testing.T) {
	want := [][]byte{
		[]byte(`{"PartitionKey":"p","RowKey":"1"}`),
		[]byte(`{"PartitionKey":"p","RowKey":"2"}`),
	}
	for _, writer := range codec.All() {
		writer = codec.WithKeys(writer, testKeys)
		data := encode(t, writer, want)
		for _, reader := range codec.All() {
			if reader.Name() == writer.Name() {
				continue
			}
			reader = codec.WithKeys(reader, testKeys)
			t.Run(writer.Name()+" read as "+reader.Name(), func(t *testing.T) {
				got, err := decode(reader, data)
				if err != io.EOF {
					return // Rejected, as it should be.
				}
				if len(got) == len(want) && bytes.Equal(bytes.Join(got, nil), bytes.Join(want, nil)) {
					t.Errorf("%s reader decoded %s bytes to the original lines", reader.Name(), writer.Name())
				}
			})
		}
	}
}

func TestGzipRejectsPlainBytes(t *testing.T) {
	c := mustByName(t, codec.NameJSONLGzip)
	plain := encode(t, mustByName(t, codec.NameJSONL), sampleLines()[:3])
	_, err := decode(c, plain)
	if err == nil || err == io.EOF {
		t.Errorf("gzip reader on plain JSON Lines ended with %v, expected an error", err)
	}
}

func TestForFile(t *testing.T) {
	tests := []struct {
		file string
		want string // empty when no codec matches
	}{
		{"Users.jsonl.gz", codec.NameJSONLGzip},
		{"Users.jsonl", codec.NameJSONL},
		{"My.Table.jsonl", codec.NameJSONL},
		{"Users.json", ""},
		{"Users.gz", ""},
		{"Users.jsonl.gz.tmp", ""},
		{"Users.jsonl.tmp", ""},
		{"Users", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, ok := codec.ForFile(tt.file)
			if tt.want == "" {
				if ok {
					t.Errorf("ForFile(%q) = %q, expected no codec", tt.file, c.Name())
				}
				return
			}
			if !ok {
				t.Fatalf("ForFile(%q) found no codec, expected %q", tt.file, tt.want)
			}
			if c.Name() != tt.want {
				t.Errorf("ForFile(%q) = %q, expected %q", tt.file, c.Name(), tt.want)
			}
		})
	}
}

func TestByName(t *testing.T) {
	for _, name := range []string{codec.NameJSONL, codec.NameJSONLGzip} {
		t.Run(name, func(t *testing.T) {
			c := mustByName(t, name)
			if c.Name() != name {
				t.Errorf("ByName(%q).Name() = %q", name, c.Name())
			}
			if !strings.HasPrefix(c.Suffix(), ".") {
				t.Errorf("Suffix %q does not start with a dot", c.Suffix())
			}
			found, ok := codec.ForFile("Users" + c.Suffix())
			if !ok || found.Name() != name {
				t.Errorf("ForFile does not map suffix %q back to %q", c.Suffix(), name)
			}
		})
	}

	t.Run("unknown", func(t *testing.T) {
		c, err := codec.ByName("zstd")
		if err == nil {
			t.Fatalf("ByName(%q) = %q, expected an error", "zstd", c.Name())
		}
		if !strings.Contains(err.Error(), codec.NameJSONLGzip) {
			t.Errorf("error %q does not list the known codecs", err)
		}
	})
}

func TestAllSorted(t *testing.T) {
	var names []string
	for _, c := range codec.All() {
		names = append(names, c.Name())
	}
	want := []string{codec.NameJSONL, "jsonl.age", codec.NameJSONLGzip, "jsonl.gz.age"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("All() = %v, expected %v", names, want)
	}
}

// fakeCodec is a codec with a chosen name and suffix, used only to test
// Register; every registration of it in this file panics, so it never
// enters the registry.
type fakeCodec struct{ name, suffix string }

func (f fakeCodec) Name() string                            { return f.name }
func (f fakeCodec) Suffix() string                          { return f.suffix }
func (fakeCodec) NewWriter(io.Writer) (codec.Writer, error) { return nil, errors.New("fake") }
func (fakeCodec) NewReader(io.Reader) (codec.Reader, error) { return nil, errors.New("fake") }

func TestRegisterDuplicatePanics(t *testing.T) {
	tests := []struct {
		name string
		c    codec.Codec
	}{
		{"same codec", mustByName(t, codec.NameJSONL)},
		{"same name", fakeCodec{codec.NameJSONL, ".other"}},
		{"same suffix", fakeCodec{"other", ".jsonl.gz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q, %q) did not panic", tt.c.Name(), tt.c.Suffix())
				}
			}()
			codec.Register(tt.c)
		})
	}

	if n := len(codec.All()); n != 4 {
		t.Errorf("All() returned %d codecs after the failed registrations, expected 4", n)
	}
}

func mustByName(t testing.TB, name string) codec.Codec {
	t.Helper()
	c, err := codec.ByName(name)
	if err != nil {
		t.Fatalf("ByName(%q): %v", name, err)
	}
	return c
}
