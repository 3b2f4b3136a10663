package codec_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/authagonal/authagonal-tables/codec"
)

// testIdentity is generated once per test run; the tests need no fixed
// key.
var testIdentity = mustIdentity()

var testKeys = codec.Keys{
	Recipients: []age.Recipient{testIdentity.Recipient()},
	Identities: []age.Identity{testIdentity},
}

func mustIdentity() *age.X25519Identity {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		panic(err)
	}
	return id
}

// ageBytes encrypts raw to the test identity with age itself, so the
// tests also check that the codec reads files age wrote.
func ageBytes(raw []byte) []byte {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, testIdentity.Recipient())
	if err != nil {
		panic(err)
	}
	if _, err := w.Write(raw); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func TestAgeSuffixesAndLookup(t *testing.T) {
	for name, suffix := range map[string]string{"Users.jsonl.age": ".jsonl.age", "Users.jsonl.gz.age": ".jsonl.gz.age", "Users.keys.jsonl.gz.age": ".jsonl.gz.age"} {
		c, ok := codec.ForFile(name)
		if !ok || c.Suffix() != suffix {
			t.Errorf("ForFile(%q) = %v, %v; expected the %s codec", name, c, ok, suffix)
		}
		inner, sealed := codec.Encrypted(c)
		if !sealed || inner.Suffix() != strings.TrimSuffix(suffix, codec.EncryptedSuffix) {
			t.Errorf("Encrypted(%s) = %v, %v", c.Name(), inner, sealed)
		}
	}
	gz := mustByName(t, codec.NameJSONLGzip)
	c, err := codec.Encrypt(gz)
	if err != nil || c.Name() != "jsonl.gz.age" {
		t.Errorf("Encrypt(jsonl.gz) = %v, %v", c, err)
	}
}

func TestAgeNeedsKeys(t *testing.T) {
	c := mustByName(t, codec.NameJSONLGzip+codec.EncryptedSuffix)
	if _, err := c.NewWriter(io.Discard); !errors.Is(err, codec.ErrNoRecipient) {
		t.Errorf("NewWriter without recipients: %v, expected ErrNoRecipient", err)
	}
	data := encode(t, codec.WithKeys(c, testKeys), [][]byte{[]byte("secret")})
	if _, err := c.NewReader(bytes.NewReader(data)); !errors.Is(err, codec.ErrNoIdentity) {
		t.Errorf("NewReader without identity: %v, expected ErrNoIdentity", err)
	}
	stranger := mustIdentity()
	_, err := codec.WithKeys(c, codec.Keys{Identities: []age.Identity{stranger}}).NewReader(bytes.NewReader(data))
	if err == nil || !strings.Contains(err.Error(), "none of the identities given can decrypt it") {
		t.Errorf("NewReader with another identity: %v", err)
	}
	if bytes.Contains(data, []byte("secret")) {
		t.Error("the encrypted file holds the plaintext")
	}
}

// TestAgeDamage checks that a cut, extended or altered file never reads
// to a clean end: age authenticates each 64 KiB chunk and marks the last.
func TestAgeDamage(t *testing.T) {
	c := codec.WithKeys(mustByName(t, codec.NameJSONL+codec.EncryptedSuffix), testKeys)
	var lines [][]byte
	for i := 0; i < 5000; i++ {
		lines = append(lines, bytes.Repeat([]byte{'a' + byte(i%26)}, 60))
	}
	data := encode(t, c, lines)
	if len(data) < 3*64<<10 {
		t.Fatalf("test file of %d bytes spans too few chunks", len(data))
	}
	damaged := map[string][]byte{
		"cut near a chunk boundary": data[:len(data)-(len(data)-200)%(64<<10+16)],
		"cut inside the last chunk": data[:len(data)-10],
		"cut to the header":         data[:200],
		"trailing bytes":            append(bytes.Clone(data), 0),
		"flipped bit":               flip(data, len(data)/2),
		"flipped bit in the header": flip(data, 40),
	}
	for name, d := range damaged {
		t.Run(name, func(t *testing.T) {
			if _, err := decode(c, d); err == io.EOF {
				t.Error("the damaged file read to a clean end")
			}
		})
	}
}

func flip(data []byte, at int) []byte {
	d := bytes.Clone(data)
	d[at] ^= 1
	return d
}
