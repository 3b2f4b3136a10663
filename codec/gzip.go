package codec

import (
	"compress/gzip"
	"errors"
	"io"

	"github.com/klauspost/pgzip"
)

// gzipCodec compresses lines with gzip. Writing uses klauspost/pgzip, which
// compresses blocks on several cores and writes standard gzip that any tool
// reads. Reading uses the standard library's compress/gzip, because both
// pgzip v1.3.0 and klauspost/compress/gzip v1.20.3 take a member cut inside
// its optional name or comment field for a clean end of the stream.
type gzipCodec struct{}

func (gzipCodec) Name() string   { return NameJSONLGzip }
func (gzipCodec) Suffix() string { return ".jsonl.gz" }

func (gzipCodec) NewWriter(w io.Writer) (Writer, error) {
	zw, err := pgzip.NewWriterLevel(w, pgzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	lw, _ := plain{}.NewWriter(zw)
	lw.(*lineWriter).after = zw
	return lw, nil
}

// NewReader reads every gzip member to its end, so the CRC-32 and length of
// each member are checked before ReadLine returns io.EOF. Data after the last
// member, padding included, is an error.
func (gzipCodec) NewReader(r io.Reader) (Reader, error) {
	zr, err := gzip.NewReader(r)
	if errors.Is(err, io.EOF) {
		// Even a gzip stream of no lines has a header and a trailer, so an
		// empty file was cut short.
		return nil, io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, err
	}
	return newLineReader(zr, zr.Close), nil
}
