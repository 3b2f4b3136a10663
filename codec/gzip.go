package codec

import (
	"io"

	"github.com/klauspost/pgzip"
)

// gzipCodec compresses lines with gzip. It uses klauspost/pgzip, which
// compresses blocks on several cores and writes standard gzip that any tool
// reads; its reader also reads ahead on another core.
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
	zr, err := pgzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	return newLineReader(zr, zr.Close), nil
}
