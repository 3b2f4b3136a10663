package keys_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/authagonal/authagonal-tables/keys"
)

func TestSigningKeyPair(t *testing.T) {
	dir := t.TempDir()
	priv, pub, err := keys.GenerateSigning(filepath.Join(dir, "sign"))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := keys.ReadSigningKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := keys.ReadVerifyKeys(pub)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"BackupId":"20261204-020000"}`)
	sig := keys.Sign(sk, data)
	if err := keys.Check(pk, data, sig); err != nil {
		t.Errorf("Check of a good signature: %v", err)
	}
	if err := keys.Check(pk, append(data, ' '), sig); err == nil {
		t.Error("Check accepted a signature of other data")
	}
	if err := keys.Check(pk, data, sig[:10]); err == nil {
		t.Error("Check accepted a short signature")
	}
	if _, _, err := keys.GenerateSigning(filepath.Join(dir, "sign")); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second keygen over the same files: %v", err)
	}
	if _, err := keys.ReadVerifyKeys(priv); err == nil || !strings.Contains(err.Error(), "holds a private key") {
		t.Errorf("ReadVerifyKeys of the private key: %v", err)
	}
	if _, err := keys.ReadSigningKey(pub); err == nil {
		t.Error("ReadSigningKey accepted the public key")
	}
}

func TestEncryptionIdentity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "id.txt")
	recipient, err := keys.GenerateEncryption(path)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := keys.ReadIdentityFile(path)
	if err != nil || len(ids) != 1 {
		t.Fatalf("ReadIdentityFile = %v, %v", ids, err)
	}
	if _, err := keys.ParseRecipient(recipient); err != nil {
		t.Errorf("ParseRecipient(%q): %v", recipient, err)
	}
	secret, _ := os.ReadFile(path)
	line := strings.TrimSpace(string(secret))
	line = line[strings.LastIndexByte(line, '\n')+1:]
	_, err = keys.ParseRecipient(line)
	if err == nil || strings.Contains(err.Error(), line[16:]) {
		t.Errorf("ParseRecipient of the private key: %v", err)
	}
	recipients := filepath.Join(dir, "recipients.txt")
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sshLine := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub))) + " ops@example"
	os.WriteFile(recipients, []byte("# backup host\n"+recipient+"\n\n"+sshLine+"\n"), 0o600)
	rs, err := keys.ReadRecipientsFile(recipients)
	if err != nil || len(rs) != 2 {
		t.Errorf("ReadRecipientsFile = %d recipients, %v", len(rs), err)
	}
	os.WriteFile(recipients, []byte("age1notakey\n"), 0o600)
	if _, err := keys.ReadRecipientsFile(recipients); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("ReadRecipientsFile of a bad key: %v", err)
	}
	if _, err := keys.ReadIdentityFile(recipients); err == nil {
		t.Error("ReadIdentityFile accepted a recipients file")
	}
}

func TestVerifyKeysAfterRotation(t *testing.T) {
	dir := t.TempDir()
	oldPriv, oldPub, err := keys.GenerateSigning(filepath.Join(dir, "old"))
	if err != nil {
		t.Fatal(err)
	}
	newPriv, newPub, err := keys.GenerateSigning(filepath.Join(dir, "new"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(oldPub)
	b, _ := os.ReadFile(newPub)
	both := filepath.Join(dir, "both.pub")
	os.WriteFile(both, append(a, b...), 0o644)
	pubs, err := keys.ReadVerifyKeys(both)
	if err != nil || len(pubs) != 2 {
		t.Fatalf("ReadVerifyKeys = %d keys, %v", len(pubs), err)
	}
	data := []byte("manifest")
	for _, path := range []string{oldPriv, newPriv} {
		sk, err := keys.ReadSigningKey(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := keys.Check(pubs, data, keys.Sign(sk, data)); err != nil {
			t.Errorf("a signature by %s: %v", filepath.Base(path), err)
		}
	}
}
