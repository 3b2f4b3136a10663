package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
)

// HashWriter counts and hashes the bytes written through it to W.
type HashWriter struct {
	W     io.Writer
	hash  hash.Hash
	bytes int64
}

// NewHashWriter returns a HashWriter that writes to w.
func NewHashWriter(w io.Writer) *HashWriter {
	return &HashWriter{W: w, hash: sha256.New()}
}

func (h *HashWriter) Write(p []byte) (int, error) {
	n, err := h.W.Write(p)
	h.hash.Write(p[:n])
	h.bytes += int64(n)
	return n, err
}

// Sum returns the lowercase hex SHA-256 of the bytes written so far.
func (h *HashWriter) Sum() string { return hex.EncodeToString(h.hash.Sum(nil)) }

// Bytes returns the number of bytes written so far.
func (h *HashWriter) Bytes() int64 { return h.bytes }

// LineError is an entity line that failed validation. Reading can go on
// after it.
type LineError struct {
	File string
	Line int64
	Err  error
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s: line %d: %v", e.File, e.Line, e.Err)
}

func (e *LineError) Unwrap() error { return e.Err }

// DataReader reads the entities of one data file of a backup and hashes the
// file's bytes as it goes.
type DataReader struct {
	name   string
	file   *os.File
	hash   hash.Hash
	bytes  int64
	lines  codec.Reader
	line   int64
	closed bool
	// parse converts one line into an entity: entity.Parse, or the
	// conversion of a .NET tool line that OpenLegacyData sets.
	parse func([]byte) (*entity.Entity, error)
}

// OpenData opens a data file of the backup in dir. The codec comes from the
// file's suffix; keys decrypt an encrypted file. A symbolic link is refused:
// a backup holds plain files only.
func OpenData(dir, name string, keys codec.Keys) (*DataReader, error) {
	if err := CheckFileName(name); err != nil {
		return nil, err
	}
	c, ok := codec.ForFile(name)
	if !ok {
		return nil, fmt.Errorf("%s: unknown file suffix; expected one of the codec suffixes such as .jsonl or .jsonl.gz", name)
	}
	c = codec.WithKeys(c, keys)
	path := filepath.Join(dir, name)
	info, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, missing(err))
	}
	if err := checkRegular(info); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	d := &DataReader{name: name, file: f, hash: sha256.New(), parse: entity.Parse}
	d.lines, err = c.NewReader(io.TeeReader(countingReader{f, &d.bytes}, d.hash))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", name, decodeError(err))
	}
	return d, nil
}

// checkRegular rejects anything but a regular file: a backup holds plain
// files only, and a symbolic link could point anywhere.
func checkRegular(info os.FileInfo) error {
	switch mode := info.Mode(); {
	case mode.IsRegular():
		return nil
	case mode&os.ModeSymlink != 0:
		return errors.New("is a symbolic link; a backup contains regular files only")
	case mode.IsDir():
		return errors.New("is a folder; a backup contains regular files only")
	default:
		return fmt.Errorf("is not a regular file (%s); a backup contains regular files only", mode.Type())
	}
}

func missing(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return errors.New("file is missing")
	}
	return err
}

type countingReader struct {
	r io.Reader
	n *int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	*c.n += int64(n)
	return n, err
}

// Next returns the next entity and its line number. At the end of the file
// it returns io.EOF, after reading the whole file so that Sum covers it. A
// line that fails validation returns a *LineError, after which Next may be
// called again; any other error is final.
func (d *DataReader) Next() (*entity.Entity, int64, error) {
	raw, err := d.lines.ReadLine()
	if err == io.EOF {
		// Hash whatever the decoder left unread, so the hash covers every
		// byte of the file.
		if _, err := io.Copy(d.hash, countingReader{d.file, &d.bytes}); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", d.name, err)
		}
		return nil, 0, io.EOF
	}
	if errors.Is(err, codec.ErrLineTooLong) {
		return nil, 0, fmt.Errorf("%s: line %d: %w; no entity the service accepts is that long, so the file is damaged or was not written by this tool", d.name, d.line+1, err)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("%s: after line %d: %w", d.name, d.line, decodeError(err))
	}
	d.line++
	e, err := d.parse(raw)
	if err != nil {
		return nil, d.line, &LineError{File: d.name, Line: d.line, Err: err}
	}
	return e, d.line, nil
}

// HashRest reads the rest of the file into the hash without decoding it,
// so that Sum covers the whole file after a decoding error.
func (d *DataReader) HashRest() error {
	if _, err := io.Copy(d.hash, countingReader{d.file, &d.bytes}); err != nil {
		return fmt.Errorf("%s: %w", d.name, err)
	}
	return nil
}

// decodeError makes a codec error readable. A cut gzip stream surfaces as
// io.ErrUnexpectedEOF, which means nothing to an operator.
func decodeError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the data ends unexpectedly: the file is truncated, or has extra bytes after its end")
	}
	return err
}

// Sum returns the lowercase hex SHA-256 of the bytes read so far.
func (d *DataReader) Sum() string { return hex.EncodeToString(d.hash.Sum(nil)) }

// Bytes returns the number of bytes of the file read so far.
func (d *DataReader) Bytes() int64 { return d.bytes }

// Close closes the file.
func (d *DataReader) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	err := d.lines.Close()
	if cerr := d.file.Close(); err == nil {
		err = cerr
	}
	return err
}
