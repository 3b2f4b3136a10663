package main

import (
	"strings"
	"testing"
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
