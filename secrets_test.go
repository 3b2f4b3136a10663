package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/tables"
)

// TestCLINeverPrintsSecrets runs every command, succeeding and failing,
// against an Azurite whose only account has a key of the test's own. At the
// debug level and in both log formats, neither that key nor an age identity
// may reach stdout, stderr or a backup file.
func TestCLINeverPrintsSecrets(t *testing.T) {
	canary := base64.StdEncoding.EncodeToString([]byte("canary-account-key-for-authagonal-tables-tests-0123456789abcdefgh"))
	wrong := base64.StdEncoding.EncodeToString([]byte("wrong-account-key-for-authagonal-tables-tests-0123456789abcdefghi"))
	srv, err := azurite.StartAccount(context.Background(), "canary", canary)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateTable(context.Background(), "Secrets"); err != nil {
		t.Fatal(err)
	}
	b := tables.NewBatch("Secrets")
	for i := range 3 {
		e, err := entity.Parse([]byte(fmt.Sprintf(`{"PartitionKey":"p","RowKey":"r%d","Hash":"x"}`, i)))
		if err != nil {
			t.Fatal(err)
		}
		b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
	}
	if err := svc.SubmitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}

	k := makeKeys(t)
	identity, err := os.ReadFile(k.identity)
	if err != nil {
		t.Fatal(err)
	}
	ageSecret := strings.TrimSpace(string(identity))
	ageSecret = ageSecret[strings.LastIndexByte(ageSecret, '\n')+1:]
	signSecret, err := os.ReadFile(k.signKey)
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{
		"account key":          canary,
		"account key, decoded": "canary-account-key",
		"wrong account key":    wrong,
		"age identity":         ageSecret[len("AGE-SECRET-KEY-"):],
		"signing key":          strings.Split(string(signSecret), "\n")[1],
	}

	conn := srv.ConnectionString()
	wrongConn := strings.Replace(conn, canary, wrong, 1)
	deadConn := "DefaultEndpointsProtocol=http;AccountName=canary;AccountKey=" + canary + ";TableEndpoint=http://127.0.0.1:1/canary"
	badConn := "AccountName=canary;AccountKey=" + canary + "!!;TableEndpoint=" + srv.Endpoint
	out := t.TempDir()
	target := filepath.Join(out, "unused")
	fast := []string{"--max-retries", "1", "--retry-delay", "10ms", "--max-retry-delay", "20ms"}
	type run struct {
		conn string
		args []string
		code int
	}
	runs := []run{
		{conn, []string{"backup", "--tables", "Secrets", "--output", out, "--encrypt-to", k.recipient, "--sign-key", k.signKey}, 0},
		{conn, []string{"backup", "--tables", "Secrets", "--output", out, "--incremental", "--overlap", "1s", "--encrypt-to", k.recipient, "--identity", k.identity, "--sign-key", k.signKey}, 0},
		{conn, []string{"backup", "--tables", "Secrets", "--dry-run"}, 0},
		{conn, []string{"backup", "--tables", "Secrets,NoSuchTable", "--output", target}, 1},
		{conn, []string{"backup", "--help"}, 0},
		{conn, []string{"backup", "--bogus-flag"}, 1},
		{"", []string{"backup", "--connection-string", conn, "--tables", "Secrets", "--dry-run"}, 0},
		{"", []string{"backup", "--connection-string", badConn, "--dry-run"}, 1},
		{badConn, []string{"backup", "--dry-run"}, 1},
		{wrongConn, append([]string{"backup", "--tables", "Secrets", "--output", target}, fast...), 1},
		{deadConn, append([]string{"backup", "--tables", "Secrets", "--output", target}, fast...), 1},
		{conn, []string{"verify", "--identity", k.identity, "--verify-key", k.verifyKey, out}, 0},
		{conn, []string{"verify", "--identity", k.recipient, out}, 1},
		{conn, []string{"verify", "--verify-key", k.signKey, out}, 1},
		{conn, []string{"verify", "--help"}, 0},
		{conn, []string{"list", out}, 0},
		{conn, []string{"restore", "--input", out, "--identity", k.identity, "--dry-run"}, 0},
		{conn, []string{"restore", "--input", out, "--identity", k.identity, "--mode", "clean"}, 0},
		{conn, []string{"restore", "--input", out}, 1},
		{conn, []string{"restore", "--input", out, "--mode", "bogus"}, 1},
		{wrongConn, append([]string{"restore", "--input", out, "--identity", k.identity}, fast...), 1},
		{deadConn, append([]string{"restore", "--input", out, "--identity", k.identity}, fast...), 1},
		{conn, []string{"restore", "--help"}, 0},
		{conn, []string{"keygen", "--encryption", k.identity}, 1},
		{conn, []string{"prune", "--keep-last", "5", "--dry-run", out}, 0},
		{conn, []string{"prune", out}, 1},
		{conn, []string{"completion", "bash"}, 0},
		{conn, []string{"man"}, 0},
		{conn, []string{"--help"}, 0},
		{conn, []string{"nosuchcommand"}, 1},
	}
	for _, format := range []string{"console", "json"} {
		for _, r := range runs {
			env := []string{"AUTHAGONAL_TABLES_LOG_LEVEL=debug", "AUTHAGONAL_TABLES_LOG_FORMAT=" + format}
			if r.conn != "" {
				env = append(env, "STORAGE_CONNECTION_STRING="+r.conn)
			}
			res := runBinary(t, env, r.args...)
			if res.code != r.code {
				t.Errorf("%v: exit code %d, want %d\nstderr:\n%s", r.args, res.code, r.code, res.stderr)
			}
			for what, secret := range secrets {
				if strings.Contains(res.stdout+res.stderr, secret) {
					t.Errorf("%s log, %v (exit %d) printed the %s:\nstdout:\n%s\nstderr:\n%s", format, r.args, res.code, what, res.stdout, res.stderr)
				}
			}
		}
	}
	err = filepath.Walk(out, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for what, secret := range secrets {
			if strings.Contains(string(data), secret) {
				t.Errorf("%s holds the %s", path, what)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
