package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/compare"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// keyFiles creates an age identity and a signing key pair with keygen, as
// a user would, and returns the recipient and the paths.
type keyFiles struct {
	recipient, identity, signKey, verifyKey string
}

func makeKeys(t *testing.T) keyFiles {
	t.Helper()
	dir := t.TempDir()
	k := keyFiles{identity: filepath.Join(dir, "identity.txt"), signKey: filepath.Join(dir, "sign.key"), verifyKey: filepath.Join(dir, "sign.pub")}
	r := runBinary(t, nil, "keygen", "--encryption", k.identity)
	wantCode(t, r, 0)
	k.recipient = strings.TrimSpace(r.stdout)
	if !strings.HasPrefix(k.recipient, "age1") {
		t.Fatalf("keygen printed %q, want an age recipient", r.stdout)
	}
	wantCode(t, runBinary(t, nil, "keygen", "--signing", filepath.Join(dir, "sign")), 0)
	for _, path := range []string{k.identity, k.signKey} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 600", path, info.Mode().Perm())
		}
	}
	return k
}

// secretValue is stored in the test tables; no backup file may contain it
// in the clear.
const secretValue = "TOTP-SEED-JBSWY3DPEHPK3PXP"

func TestCLIEncryptedSignedBackupRoundTrip(t *testing.T) {
	srv := azurite.Shared(t)
	const table = "CliSealed"
	// 1,200 entities: more than one page, so the backup scans key ranges
	// and appends encrypted part files.
	seedPartitions(t, table, 12, secretValue)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	k := makeKeys(t)
	other := makeKeys(t)
	out := t.TempDir()

	r := runBinary(t, []string{conn}, "backup", "--tables", table, "--output", out, "--gzip",
		"--encrypt-to", k.recipient, "--encrypt-to", other.recipient, "--sign-key", k.signKey, "--parallel", "8")
	wantCode(t, r, 0)
	dir := onlyBackup(t, out)
	for _, name := range []string{table + ".jsonl.gz.age", table + ".keys.jsonl.gz.age", manifest.SignatureFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("backup lacks %s: %v", name, err)
		}
	}
	files, _ := os.ReadDir(dir)
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, f.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(secretValue)) || bytes.Contains(data, []byte("p001")) {
			t.Errorf("%s holds data in the clear", f.Name())
		}
	}
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Encryption == nil || len(m.Encryption.Recipients) != 2 || m.Encryption.Recipients[0] != k.recipient {
		t.Errorf("manifest Encryption = %+v", m.Encryption)
	}
	if m.Codec != "jsonl.gz.age" || !m.Compressed {
		t.Errorf("manifest codec %q, compressed %v", m.Codec, m.Compressed)
	}

	// Without an identity, verify checks the hashes and reports that.
	r = runBinary(t, nil, "verify", dir)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "content not read") || !strings.Contains(r.stdout, "not checked") {
		t.Errorf("verify without keys:\n%s", r.stdout)
	}
	// With both keys, it reads every line and checks the signature. Either
	// recipient's identity decrypts.
	for _, id := range []string{k.identity, other.identity} {
		r = runBinary(t, nil, "verify", "--identity", id, "--verify-key", k.verifyKey, dir)
		wantCode(t, r, 0)
		if !strings.Contains(r.stdout, "OK: 1 table(s), 1200 entities") || !strings.Contains(r.stdout, "signature: valid") {
			t.Errorf("verify with keys:\n%s", r.stdout)
		}
	}
	// A stranger's identity and a stranger's public key are refused.
	stranger := makeKeys(t)
	r = runBinary(t, nil, "verify", "--identity", stranger.identity, dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "none of the identities given can decrypt it") {
		t.Errorf("verify with a stranger's identity:\n%s", r.stdout)
	}
	r = runBinary(t, nil, "verify", "--verify-key", stranger.verifyKey, dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "signed with another key") {
		t.Errorf("verify with a stranger's public key:\n%s", r.stdout)
	}

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	tconn := "STORAGE_CONNECTION_STRING=" + target.ConnectionString()
	// Restore without the identity stops before any write.
	r = runBinary(t, []string{tconn}, "restore", "--input", dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "pass --identity") {
		t.Errorf("restore without identity:\n%s", r.stderr)
	}
	if _, err := target.RawEntities(context.Background(), table); err == nil {
		t.Error("restore without identity created the table")
	}
	r = runBinary(t, []string{tconn}, "restore", "--input", dir, "--identity", k.identity, "--verify-key", k.verifyKey)
	wantCode(t, r, 0)
	sameTable(t, srv, target, table)
}

func TestCLISignatureRefusals(t *testing.T) {
	srv := azurite.Shared(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	k := makeKeys(t)
	seedTable(t, "CliSigned", `{"PartitionKey":"p","RowKey":"r","V":"x"}`)
	out := t.TempDir()
	wantCode(t, runBinary(t, []string{conn}, "backup", "--tables", "CliSigned", "--output", out, "--sign-key", k.signKey), 0)
	dir := onlyBackup(t, out)
	wantCode(t, runBinary(t, nil, "verify", "--verify-key", k.verifyKey, dir), 0)

	// An edit of the manifest that keeps it valid JSON breaks the
	// signature.
	path := filepath.Join(dir, manifest.FileName)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	m["ToolVersion"] = "tampered"
	edited, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(path, edited, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "--verify-key", k.verifyKey, dir},
		{"restore", "--input", dir, "--verify-key", k.verifyKey},
	} {
		r := runBinary(t, []string{conn}, args...)
		wantCode(t, r, 1)
		if !strings.Contains(r.stdout, "signature does not match") {
			t.Errorf("%v after editing the manifest:\n%s", args[0], r.stdout)
		}
	}

	// A backup without a signature is refused when a key is given.
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, manifest.SignatureFile)); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, []string{conn}, "restore", "--input", dir, "--verify-key", k.verifyKey)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "missing: the backup is not signed") {
		t.Errorf("restore of an unsigned backup:\n%s", r.stdout)
	}
	// A private key given where the public key belongs is named as such.
	r = runBinary(t, nil, "verify", "--verify-key", k.signKey, dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "holds a private key") {
		t.Errorf("verify with the private key:\n%s", r.stderr)
	}
}

func TestCLIRequireEncryption(t *testing.T) {
	srv := azurite.Shared(t)
	out := t.TempDir()
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString(), "BACKUP_REQUIRE_ENCRYPTION=true"},
		"backup", "--tables", "CliSigned", "--output", out)
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "--require-encryption is set, but no recipient") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("--require-encryption failure wrote %d entries", len(entries))
	}
	// A private key given as a recipient is refused without echoing it.
	k := makeKeys(t)
	secret, err := os.ReadFile(k.identity)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(secret[bytes.LastIndexByte(bytes.TrimSpace(secret), '\n')+1:]))
	r = runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString()}, "backup", "--encrypt-to", line, "--output", out)
	wantCode(t, r, 1)
	if strings.Contains(r.stdout+r.stderr, line[15:]) {
		t.Errorf("the private key was echoed:\n%s", r.stderr)
	}
}

func TestCLIEncryptedIncrementalChain(t *testing.T) {
	srv := azurite.Shared(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	const table = "CliSealedChain"
	seedTable(t, table, `{"PartitionKey":"a","RowKey":"1","V":"one"}`, `{"PartitionKey":"b","RowKey":"2","V":"two"}`)
	k := makeKeys(t)
	out := t.TempDir()
	wantCode(t, runBinary(t, []string{conn}, "backup", "--tables", table, "--output", out, "--encrypt-to", k.recipient), 0)

	// Finding deletes reads the earlier key set, so an encrypted
	// incremental needs an identity, and reports that before writing anything.
	r := runBinary(t, []string{conn}, "backup", "--incremental", "--overlap", "1s", "--tables", table, "--output", out, "--encrypt-to", k.recipient)
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "pass --identity") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	deleteEntity(t, table, "a", "1")
	seedTable(t, table, `{"PartitionKey":"c","RowKey":"3","V":"three"}`)
	r = runBinary(t, []string{conn}, "backup", "--incremental", "--overlap", "1s", "--tables", table, "--output", out,
		"--encrypt-to", k.recipient, "--identity", k.identity)
	wantCode(t, r, 0)
	r = runBinary(t, nil, "verify", "--identity", k.identity, out)
	wantCode(t, r, 0)

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	r = runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + target.ConnectionString()}, "restore", "--input", out, "--identity", k.identity)
	wantCode(t, r, 0)
	sameTable(t, srv, target, table)
}

// sameTable fails the test unless table holds the same entities, values
// and types in both accounts, as read from the wire.
func sameTable(t *testing.T, a, b *azurite.Server, table string) {
	t.Helper()
	sa, err := a.Service()
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Service()
	if err != nil {
		t.Fatal(err)
	}
	report, err := compare.Table(context.Background(), sa, sb, table)
	if err != nil {
		t.Fatal(err)
	}
	if !report.Identical() {
		t.Errorf("table %s differs after the restore: %+v", table, report)
	}
}

// deleteEntity deletes one entity of the shared Azurite.
func deleteEntity(t *testing.T, table, pk, rk string) {
	t.Helper()
	svc, err := azurite.Shared(t).Service()
	if err != nil {
		t.Fatal(err)
	}
	e, err := entity.Parse([]byte(fmt.Sprintf(`{"PartitionKey":%q,"RowKey":%q}`, pk, rk)))
	if err != nil {
		t.Fatal(err)
	}
	b := tables.NewBatch(table)
	b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Delete, Entity: e})
	if err := svc.SubmitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func TestCLISigningKeysWarning(t *testing.T) {
	srv := azurite.Shared(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	seedTable(t, "SigningKeys", `{"PartitionKey":"k","RowKey":"1","Pem":"-----BEGIN PRIVATE KEY-----"}`)
	k := makeKeys(t)
	const warning = "holds the JWT signing private key in plaintext"

	r := runBinary(t, []string{conn}, "backup", "--tables", "SigningKeys", "--output", t.TempDir())
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, warning) {
		t.Errorf("a plaintext backup of SigningKeys gave no warning:\n%s", r.stderr)
	}
	r = runBinary(t, []string{conn}, "backup", "--tables", "SigningKeys", "--output", t.TempDir(), "--encrypt-to", k.recipient)
	wantCode(t, r, 0)
	if strings.Contains(r.stderr, "SigningKeys") && strings.Contains(r.stderr, "WRN") {
		t.Errorf("an encrypted backup of SigningKeys warned:\n%s", r.stderr)
	}
}
