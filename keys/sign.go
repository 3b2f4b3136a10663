package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"filippo.io/age"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
)

// The signing keys are stored as PEM: PKCS #8 for the private key and PKIX
// for the public key, the forms `openssl genpkey -algorithm ed25519` and
// `openssl pkey -pubout` write, so either tool can make a key pair.
const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
)

// ReadSigningKey reads an Ed25519 private key in PKCS #8 PEM.
func ReadSigningKey(path string) (ed25519.PrivateKey, error) {
	der, err := readPEM(path, pemPrivate)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%s: not a PKCS #8 private key: %v", path, err)
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: a %T, but signing needs an Ed25519 key; create one with: authagonal-tables keygen --signing", path, key)
	}
	return priv, nil
}

// ReadVerifyKeys reads one or more Ed25519 public keys in PKIX PEM, one
// block after another. A file of the current and the previous key lets
// restore accept backups signed before and after a key rotation.
func ReadVerifyKeys(path string) ([]ed25519.PublicKey, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	var pubs []ed25519.PublicKey
	for {
		der, rest, err := nextPEM(path, data, pemPublic)
		if err != nil {
			return nil, err
		}
		if der == nil {
			break
		}
		key, err := x509.ParsePKIXPublicKey(der)
		if err != nil {
			return nil, fmt.Errorf("%s: not a PKIX public key: %v", path, err)
		}
		pub, ok := key.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s: a %T, but signatures are Ed25519; give the .pub file that keygen --signing wrote", path, key)
		}
		pubs = append(pubs, pub)
		data = rest
	}
	if len(pubs) == 0 {
		return nil, fmt.Errorf("%s: no PEM block; expected a %q block as keygen --signing writes", path, pemPublic)
	}
	return pubs, nil
}

func readPEM(path, want string) ([]byte, error) {
	data, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	der, _, err := nextPEM(path, data, want)
	if err == nil && der == nil {
		err = fmt.Errorf("%s: no PEM block; expected a %q block as keygen --signing writes", path, want)
	}
	return der, err
}

// nextPEM decodes the next PEM block of data, which must be of type want.
// It returns nil bytes when no block is left.
func nextPEM(path string, data []byte, want string) (der, rest []byte, err error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, nil, nil
	}
	if block.Type != want {
		if block.Type == pemPrivate && want == pemPublic {
			return nil, nil, fmt.Errorf("%s: holds a private key, but a public key is needed here; give the .pub file, and keep the private key on the backup host only", path)
		}
		if block.Type == pemPublic && want == pemPrivate {
			return nil, nil, fmt.Errorf("%s: holds a public key, but signing needs the private key; give the .key file that keygen --signing wrote", path)
		}
		return nil, nil, fmt.Errorf("%s: a %q PEM block, expected %q", path, block.Type, want)
	}
	return block.Bytes, rest, nil
}

// Sign returns the Ed25519 signature of data.
func Sign(priv ed25519.PrivateKey, data []byte) []byte {
	return ed25519.Sign(priv, data)
}

// ErrBadSignature is a signature that does not match the data and key.
var ErrBadSignature = errors.New("the signature does not match: the manifest was changed after signing, or it was signed with another key")

// Check verifies an Ed25519 signature of data against any of pubs.
func Check(pubs []ed25519.PublicKey, data, sig []byte) error {
	if len(sig) != ed25519.SignatureSize {
		return ErrBadSignature
	}
	for _, pub := range pubs {
		if ed25519.Verify(pub, data, sig) {
			return nil
		}
	}
	return ErrBadSignature
}

// GenerateSigning writes a new Ed25519 key pair: the private key to
// base+".key" (owner-only) and the public key to base+".pub". Neither file
// may exist already.
func GenerateSigning(base string) (privPath, pubPath string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", err
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return "", "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	privPath, pubPath = base+".key", base+".pub"
	if err := createNew(privPath, pem.EncodeToMemory(&pem.Block{Type: pemPrivate, Bytes: privDER}), 0o600); err != nil {
		return "", "", err
	}
	if err := createNew(pubPath, pem.EncodeToMemory(&pem.Block{Type: pemPublic, Bytes: pubDER}), 0o644); err != nil {
		os.Remove(privPath)
		return "", "", err
	}
	return privPath, pubPath, nil
}

// GenerateEncryption writes a new age X25519 identity to path (owner-only)
// in the format of age-keygen, and returns its public key, the recipient.
func GenerateEncryption(path string) (recipient string, err error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return "", err
	}
	recipient = id.Recipient().String()
	text := fmt.Sprintf("# created by authagonal-tables keygen\n# public key: %s\n%s\n", recipient, id.String())
	if err := createNew(path, []byte(text), 0o600); err != nil {
		return "", err
	}
	return recipient, nil
}

// createNew writes a new file with exactly perm, whatever the umask, and
// refuses to replace an existing file: overwriting a key by mistake would
// make every backup made with it unreadable.
func createNew(path string, data []byte, perm os.FileMode) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := fsutil.MkdirAll(dir); err != nil {
			return err
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%s already exists; keygen never replaces a key, so move it away or choose another name", path)
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
