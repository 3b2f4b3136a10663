package codec

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// EncryptedSuffix ends the name of every encrypted file. The rest of the
// name is that of the inner codec, so "Users.jsonl.gz.age" is gzip, then
// age.
const EncryptedSuffix = ".age"

// Keys carries the key material of the encrypted codecs: recipients to
// encrypt to, identities to decrypt with. The zero value holds none.
type Keys struct {
	Recipients []age.Recipient
	Identities []age.Identity
}

// ErrNoIdentity is returned when an encrypted file is opened without an
// identity to decrypt it.
var ErrNoIdentity = errors.New("the file is encrypted, and no identity was given to decrypt it; pass --identity with the age identity file")

// ErrNoRecipient is returned when an encrypted file is created without a
// recipient.
var ErrNoRecipient = errors.New("no recipient to encrypt to; pass --encrypt-to or --encrypt-to-file")

// encrypted wraps an inner codec in age: the inner codec's bytes, already
// compressed where it compresses, are encrypted in age's authenticated
// chunks of 64 KiB. Decryption checks each chunk and the end of the
// stream, so a cut, reordered or altered file is an error. The registered
// instances hold no keys; WithKeys gives a copy that does.
type encrypted struct {
	inner Codec
	keys  Keys
}

func init() {
	Register(encrypted{inner: plain{}})
	Register(encrypted{inner: gzipCodec{}})
}

func (e encrypted) Name() string   { return e.inner.Name() + EncryptedSuffix }
func (e encrypted) Suffix() string { return e.inner.Suffix() + EncryptedSuffix }

// WithKeys returns c with keys attached when c is an encrypted codec, and c
// itself otherwise.
func WithKeys(c Codec, keys Keys) Codec {
	if e, ok := c.(encrypted); ok {
		e.keys = keys
		return e
	}
	return c
}

// Encrypted reports whether c encrypts, and returns the codec inside.
func Encrypted(c Codec) (inner Codec, ok bool) {
	if e, ok := c.(encrypted); ok {
		return e.inner, true
	}
	return c, false
}

// Encrypt returns the encrypted form of c, such as "jsonl.gz.age" for
// "jsonl.gz".
func Encrypt(c Codec) (Codec, error) {
	if _, ok := c.(encrypted); ok {
		return c, nil
	}
	return ByName(c.Name() + EncryptedSuffix)
}

// Seal starts the byte stream of a file of codec c over w and returns the
// codec whose lines go into it. For an encrypted codec the stream is age's,
// and closing it writes the final chunk without closing w. For any other
// codec the stream is w itself. A backup calls Seal directly to write
// several inner streams, one after another, inside one age stream.
func Seal(c Codec, w io.Writer) (inner Codec, stream io.WriteCloser, err error) {
	e, ok := c.(encrypted)
	if !ok {
		return c, nopWriteCloser{w}, nil
	}
	if len(e.keys.Recipients) == 0 {
		return nil, nil, ErrNoRecipient
	}
	aw, err := age.Encrypt(w, e.keys.Recipients...)
	if err != nil {
		return nil, nil, fmt.Errorf("age: %w", err)
	}
	return e.inner, aw, nil
}

// Unseal returns the byte stream inside a file of codec c read from r:
// the decrypted stream for an encrypted codec, r itself otherwise.
func Unseal(c Codec, r io.Reader) (io.Reader, error) {
	e, ok := c.(encrypted)
	if !ok {
		return r, nil
	}
	if len(e.keys.Identities) == 0 {
		return nil, ErrNoIdentity
	}
	ar, err := age.Decrypt(r, e.keys.Identities...)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, errors.New("encrypted to other recipients: none of the identities given can decrypt it; pass the --identity whose public key the backup was encrypted to")
		}
		return nil, fmt.Errorf("age: %w", err)
	}
	return ar, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func (e encrypted) NewWriter(w io.Writer) (Writer, error) {
	inner, stream, err := Seal(e, w)
	if err != nil {
		return nil, err
	}
	iw, err := inner.NewWriter(stream)
	if err != nil {
		return nil, err
	}
	return &encryptedWriter{Writer: iw, age: stream}, nil
}

// encryptedWriter closes the inner writer, which flushes its last bytes
// into age, then age, which writes the final chunk.
type encryptedWriter struct {
	Writer
	age    io.WriteCloser
	closed bool
}

func (w *encryptedWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.Writer.Close()
	if cerr := w.age.Close(); err == nil {
		err = cerr
	}
	return err
}

func (e encrypted) NewReader(r io.Reader) (Reader, error) {
	ar, err := Unseal(e, r)
	if err != nil {
		return nil, err
	}
	return e.inner.NewReader(ar)
}
