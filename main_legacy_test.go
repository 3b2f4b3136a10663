package main

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/internal/azurite"
)

const legacyFixtures = "manifest/testdata/legacy/"

func TestCLIVerifyLegacyBackup(t *testing.T) {
	r := runBinary(t, nil, "verify", legacyFixtures+"full-nohash")
	wantCode(t, r, 0)
	for _, want := range []string{"Written by the Authagonal .NET backup tool", "INTEGRITY NOT PROVEN", "OK: 3 table(s), 5 entities"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, `table "Users": types inferred from the values`) {
		t.Errorf("stderr lacks the inference warning of Users:\n%s", r.stderr)
	}

	r = runBinary(t, nil, "verify", legacyFixtures+"full-gz-hashed")
	wantCode(t, r, 0)
	if strings.Contains(r.stdout, "INTEGRITY NOT PROVEN") {
		t.Errorf("a backup with hashes is reported without integrity:\n%s", r.stdout)
	}

	r = runBinary(t, []string{"AUTHAGONAL_TABLES_LEGACY_TYPES=string"}, "verify", legacyFixtures+"full-nohash")
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, "types inferred with --legacy-types string") {
		t.Errorf("AUTHAGONAL_TABLES_LEGACY_TYPES=string did not set the mode:\n%s", r.stderr)
	}

	r = runBinary(t, []string{"AUTHAGONAL_TABLES_LEGACY_TYPES=guess"}, "verify", legacyFixtures+"full-nohash")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, `invalid --legacy-types "guess": expected infer or string (set by $AUTHAGONAL_TABLES_LEGACY_TYPES)`) {
		t.Errorf("stderr does not name the invalid value and its variable:\n%s", r.stderr)
	}

	r = runBinary(t, nil, "verify", legacyFixtures+"invalid-lines")
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, `line 2: invalid entity: property "Claims": is an object`) {
		t.Errorf("stdout lacks the invalid line:\n%s", r.stdout)
	}
}

func TestCLIRestoreLegacyDeletes(t *testing.T) {
	prefix := fmt.Sprintf("Tomb%d", os.Getpid()%100000)
	seedTable(t, prefix+"Users",
		`{"PartitionKey":"d0c1b2a3-9f8e-4d7c-a6b5-c4d3e2f1a0b9","RowKey":"profile","Email":"gone@example.org"}`,
		`{"PartitionKey":"a7f3e9d1-5c2b-4e8f-9a6d-3b1c0e2f4d58","RowKey":"profile","Email":"gone2@example.org"}`)
	seedTable(t, prefix+"Clients", `{"PartitionKey":"api-client","RowKey":"client","Name":"API"}`)
	conn := "STORAGE_CONNECTION_STRING=" + azurite.Shared(t).ConnectionString()

	r := runBinary(t, []string{conn}, "restore", "--input", legacyFixtures+"incremental-gz-hashed", "--target-prefix", prefix)

	wantCode(t, r, 0)
	rows := map[string]string{}
	for _, line := range strings.Split(r.stdout, "\n") {
		if f := strings.Fields(line); len(f) == 5 {
			rows[f[0]] = strings.Join(f[1:], " ")
		}
	}
	if got := rows["TABLE"]; got != "WRITTEN DELETED ABSENT FAILED" {
		t.Errorf("summary header = %q:\n%s", got, r.stdout)
	}
	for table, want := range map[string]string{"Users": "2 2 1 0", "Clients": "0 1 0 0", "Grants": "0 0 0 0", "TOTAL": "2 3 1 0"} {
		if rows[table] != want {
			t.Errorf("summary row %s = %q, want %q:\n%s", table, rows[table], want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "ABSENT counts recorded deletes of entities the table did not hold") {
		t.Errorf("stdout does not explain ABSENT:\n%s", r.stdout)
	}
}
