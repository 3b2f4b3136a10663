package manifest

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/keys"
)

// SignatureFile holds the detached Ed25519 signature of the manifest's
// bytes, in base64 on one line. Since the manifest records the SHA-256 of
// every other file, the signature covers the whole backup.
const SignatureFile = FileName + ".sig"

// maxSignatureBytes caps the signature file: base64 of 64 bytes is 88.
const maxSignatureBytes = 1024

// WriteSignature signs the manifest in dir with priv and writes
// SignatureFile next to it.
func WriteSignature(dir string, priv ed25519.PrivateKey) error {
	data, err := readManifestBytes(dir)
	if err != nil {
		return err
	}
	sig := base64.StdEncoding.EncodeToString(keys.Sign(priv, data)) + "\n"
	if err := fsutil.WriteFileAtomic(filepath.Join(dir, SignatureFile), []byte(sig)); err != nil {
		return fmt.Errorf("write manifest signature: %w", err)
	}
	return nil
}

// ErrUnsigned is a backup without a signature file.
var ErrUnsigned = errors.New("missing: the backup is not signed, so its origin cannot be proven; restore it only if you trust it, without --verify-key")

// CheckSignature checks the signature of the manifest in dir against any
// of pubs.
func CheckSignature(dir string, pubs []ed25519.PublicKey) error {
	data, err := readManifestBytes(dir)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(dir, SignatureFile))
	if errors.Is(err, os.ErrNotExist) {
		return ErrUnsigned
	}
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", SignatureFile)
	}
	text, err := io.ReadAll(io.LimitReader(f, maxSignatureBytes+1))
	if err != nil {
		return err
	}
	if len(text) > maxSignatureBytes {
		return fmt.Errorf("%s: larger than %d bytes; it is not a signature this tool wrote", SignatureFile, maxSignatureBytes)
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(text)))
	if err != nil {
		return fmt.Errorf("%s: not base64: %v", SignatureFile, err)
	}
	if err := keys.Check(pubs, data, sig); err != nil {
		return fmt.Errorf("%s: %w", SignatureFile, err)
	}
	return nil
}

// readManifestBytes reads the manifest file as stored, capped at MaxBytes.
func readManifestBytes(dir string) ([]byte, error) {
	path := filepath.Join(dir, FileName)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readCapped(f, path)
}
