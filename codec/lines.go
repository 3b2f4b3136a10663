package codec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Codec names.
const (
	NameJSONL     = "jsonl"
	NameJSONLGzip = "jsonl.gz"
)

// ErrLineTooLong is returned by ReadLine for a line over MaxLineBytes.
var ErrLineTooLong = fmt.Errorf("line longer than %d bytes", MaxLineBytes)

// ErrPartialLine is returned by ReadLine when the stream ends inside a line,
// which means the file was cut short.
var ErrPartialLine = errors.New("last line has no newline; the file is truncated")

type plain struct{}

func init() {
	Register(plain{})
	Register(gzipCodec{})
}

func (plain) Name() string   { return NameJSONL }
func (plain) Suffix() string { return ".jsonl" }

func (plain) NewWriter(w io.Writer) (Writer, error) {
	return &lineWriter{w: bufio.NewWriterSize(w, 256<<10)}, nil
}

func (plain) NewReader(r io.Reader) (Reader, error) {
	return newLineReader(r, nil), nil
}

// lineWriter writes newline-terminated lines through a buffer. after, when
// set, is closed after the buffer is flushed.
type lineWriter struct {
	w      *bufio.Writer
	after  io.Closer
	err    error
	closed bool
}

func (lw *lineWriter) WriteLine(line []byte) error {
	if lw.err != nil {
		return lw.err
	}
	if bytes.IndexByte(line, '\n') >= 0 {
		return errors.New("codec: line contains a newline")
	}
	if _, err := lw.w.Write(line); err != nil {
		lw.err = err
		return err
	}
	if err := lw.w.WriteByte('\n'); err != nil {
		lw.err = err
		return err
	}
	return nil
}

func (lw *lineWriter) Close() error {
	// A second Close must not reach after again: a pooled gzip writer may
	// belong to another file by then.
	if lw.closed {
		return nil
	}
	lw.closed = true
	err := lw.w.Flush()
	if lw.after != nil {
		if cerr := lw.after.Close(); err == nil {
			err = cerr
		}
	}
	if lw.err == nil {
		lw.err = errors.New("codec: writer is closed")
	}
	return err
}

// lineReader splits a stream into lines. close, when set, is called by Close.
type lineReader struct {
	r     *bufio.Reader
	close func() error
	buf   []byte
	err   error
}

func newLineReader(r io.Reader, close func() error) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 256<<10), close: close}
}

func (lr *lineReader) ReadLine() ([]byte, error) {
	if lr.err != nil {
		return nil, lr.err
	}
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.r.ReadSlice('\n')
		if len(lr.buf)+len(chunk) > MaxLineBytes+1 {
			lr.err = ErrLineTooLong
			return nil, lr.err
		}
		switch {
		case err == nil:
			if len(lr.buf) == 0 {
				return chunk[:len(chunk)-1], nil
			}
			lr.buf = append(lr.buf, chunk[:len(chunk)-1]...)
			return lr.buf, nil
		case errors.Is(err, bufio.ErrBufferFull):
			lr.buf = append(lr.buf, chunk...)
		case errors.Is(err, io.EOF):
			if len(lr.buf)+len(chunk) > 0 {
				lr.err = ErrPartialLine
			} else {
				lr.err = io.EOF
			}
			return nil, lr.err
		default:
			lr.err = err
			return nil, err
		}
	}
}

func (lr *lineReader) Close() error {
	if lr.close != nil {
		return lr.close()
	}
	return nil
}
