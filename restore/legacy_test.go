package restore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
	"github.com/authagonal/authagonal-tables/tables"
)

// legacyData holds backup folders written by hand in the format of the
// Authagonal .NET backup tool; manifest/legacy_test.go describes them.
const legacyData = "../manifest/testdata/legacy"

// wireProperty is one property as the service returns it: its EDM type
// and its JSON value.
type wireProperty struct {
	Type  string
	Value string
}

// legacyWire reads table with plain HTTP and returns the properties of
// each entity, keyed by PartitionKey, with the EDM type the service
// reports: the annotation, or the JSON kind for String, Int32 and Boolean,
// which need none.
func legacyWire(t *testing.T, srv *azurite.Server, table string) map[string]map[string]wireProperty {
	t.Helper()
	raw, err := srv.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]wireProperty{}
	for _, e := range raw {
		props := map[string]wireProperty{}
		for name, value := range e {
			if strings.HasPrefix(name, "odata.") || strings.HasPrefix(name, "Timestamp") || strings.HasSuffix(name, "@odata.type") ||
				name == "PartitionKey" || name == "RowKey" {
				continue
			}
			p := wireProperty{Value: string(value)}
			if ann, ok := e[name+"@odata.type"]; ok {
				_ = json.Unmarshal(ann, &p.Type)
			} else {
				switch c := value[0]; {
				case c == '"':
					p.Type = entity.String
				case c == 't' || c == 'f':
					p.Type = entity.Boolean
				case strings.ContainsAny(string(value), ".eE"):
					p.Type = entity.Double
				default:
					p.Type = entity.Int32
				}
			}
			props[name] = p
		}
		var pk string
		_ = json.Unmarshal(e["PartitionKey"], &pk)
		out[pk] = props
	}
	return out
}

// checkWire compares the properties of one entity with want, in which a
// DateTime value is compared as a time and any other value byte for byte.
func checkWire(t *testing.T, entity string, got, want map[string]wireProperty) {
	t.Helper()
	for name, w := range want {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: property %s missing", entity, name)
		case g.Type != w.Type:
			t.Errorf("%s: property %s has type %s, want %s", entity, name, g.Type, w.Type)
		case w.Type == "Edm.DateTime" && !sameTime(g.Value, w.Value):
			t.Errorf("%s: property %s = %s, want the time %s", entity, name, g.Value, w.Value)
		case w.Type != "Edm.DateTime" && g.Value != w.Value:
			t.Errorf("%s: property %s = %s, want %s", entity, name, g.Value, w.Value)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: extra property %s = %s", entity, name, got[name].Value)
		}
	}
}

func sameTime(a, b string) bool {
	var sa, sb string
	if json.Unmarshal([]byte(a), &sa) != nil || json.Unmarshal([]byte(b), &sb) != nil {
		return false
	}
	ta, errA := time.Parse(time.RFC3339Nano, sa)
	tb, errB := time.Parse(time.RFC3339Nano, sb)
	return errA == nil && errB == nil && ta.Equal(tb)
}

func TestRestoreLegacyTypesOnTheWire(t *testing.T) {
	const (
		zoe    = "4f1c2a9e-7b3d-4e8a-9c61-0d2f5b7a8e13"
		obrien = "9a3e6b1c-2d4f-4a8b-b7c5-e1f0d9c8b7a6"
	)
	common := func(zoeCreated, zoeStamp, zoeExternal, obrienCreated wireProperty) map[string]map[string]wireProperty {
		return map[string]map[string]wireProperty{
			zoe: {
				"Email":             {entity.String, `"zoe@example.com"`},
				"EmailConfirmed":    {entity.Boolean, `true`},
				"AccessFailedCount": {entity.Int32, `0`},
				"CreatedAt":         zoeCreated,
				"SecurityStamp":     zoeStamp,
				"ExternalId":        zoeExternal,
				"Score":             {entity.Int32, `5`},
				"Ratio":             {entity.Double, `0.75`},
				"SignCount":         {entity.Int64, `"9007199254740993"`},
			},
			obrien: {
				"Email":             {entity.String, `"o'brien@example.com"`},
				"EmailConfirmed":    {entity.Boolean, `false`},
				"AccessFailedCount": {entity.Int32, `3`},
				"CreatedAt":         obrienCreated,
				"DisplayName":       {entity.String, `"Ó Briain 李 😀"`},
				"PhoneNumber":       {entity.String, `"0123456789"`},
				"Score":             {entity.Int64, `"2147483648"`},
				// Azurite returns the double 1E+20 written out.
				"Ratio": {entity.Double, `100000000000000000000.0`},
			},
		}
	}
	tests := []struct {
		name    string
		fixture string
		types   entity.LegacyTypes
		want    map[string]map[string]wireProperty
	}{
		{
			name: "gzip with hashes, infer", fixture: "full-gz-hashed", types: entity.LegacyInfer,
			want: common(
				wireProperty{entity.DateTime, `"2024-05-01T08:30:00Z"`},
				wireProperty{entity.Guid, `"b7e4c0d2-5a19-4f3e-8d6b-2c9a1e7f4b30"`},
				wireProperty{entity.Guid, `"C9DA6455-213D-42C9-9A79-3E9149A57833"`},
				wireProperty{entity.DateTime, `"2025-11-30T21:59:59.9999999Z"`},
			),
		},
		{
			name: "plain without hashes, string", fixture: "full-nohash", types: entity.LegacyString,
			want: common(
				wireProperty{entity.String, `"2024-05-01T08:30:00+00:00"`},
				wireProperty{entity.String, `"b7e4c0d2-5a19-4f3e-8d6b-2c9a1e7f4b30"`},
				wireProperty{entity.String, `"C9DA6455-213D-42C9-9A79-3E9149A57833"`},
				wireProperty{entity.String, `"2025-11-30T23:59:59.9999999+02:00"`},
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := freshServer(t)
			svc := connect(t, target, tables.Options{})
			res, logs, err := runRestore(t, svc, restore.Options{Input: filepath.Join(legacyData, tt.fixture), LegacyTypes: tt.types})
			if err != nil {
				t.Fatalf("restore: %v\nlogs:\n%s", err, logs)
			}

			written := map[string]int64{}
			for _, r := range res.Tables {
				written[r.Table] = r.Written
			}
			if written["Users"] != 3 || written["Clients"] != 2 || written["Grants"] != 0 {
				t.Errorf("written = %v, want Users 3, Clients 2, Grants 0", written)
			}
			existing, err := svc.ListTables(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(existing, ","), "Grants") {
				t.Errorf("tables = %v; the empty table Grants was not created", existing)
			}

			got := legacyWire(t, target, "Users")
			if len(got) != 3 {
				t.Errorf("Users holds %d entities, want 3", len(got))
			}
			for pk, want := range tt.want {
				checkWire(t, pk, got[pk], want)
			}

			if !strings.Contains(logs, `table \"Users\": types inferred`) {
				t.Errorf("no inference warning for Users in the log:\n%s", logs)
			}
			if unhashed := strings.Contains(logs, "INTEGRITY NOT PROVEN"); unhashed != (tt.fixture == "full-nohash") {
				t.Errorf("integrity warning logged: %t, want %t:\n%s", unhashed, tt.fixture == "full-nohash", logs)
			}
		})
	}
}

func TestRestoreLegacyChangedFileStops(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{manifest.FileName, "Users.jsonl.gz", "Clients.jsonl.gz"} {
		from := name
		if name == "Users.jsonl.gz" {
			from = "Clients.jsonl.gz" // a valid file with another hash
		}
		data, err := os.ReadFile(filepath.Join(legacyData, "full-gz-hashed", from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv := azurite.Shared(t)
	_, _, err := runRestore(t, connect(t, srv, tables.Options{}), restore.Options{Input: dir, Tables: []string{"Users"}})
	var verr *manifest.VerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("restore error = %v, want a VerificationError", err)
	}
	if !strings.Contains(verr.Error(), "SHA-256") {
		t.Errorf("error = %v, want it to name the SHA-256 mismatch", verr)
	}
}

func TestRestoreLegacyInvalidLinesWriteNothing(t *testing.T) {
	srv := azurite.Shared(t)
	svc := connect(t, srv, tables.Options{})
	before, err := svc.ListTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runRestore(t, svc, restore.Options{Input: filepath.Join(legacyData, "invalid-lines")})
	var verr *manifest.VerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("restore error = %v, want a VerificationError", err)
	}
	if len(verr.Problems) != 9 {
		t.Errorf("got %d problems, want 9: %v", len(verr.Problems), verr)
	}
	after, err := svc.ListTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("tables before %v, after %v: a failed verification created a table", before, after)
	}
}

// The entities that TestRestoreLegacyDeletes seeds, and that the fixture
// incremental-gz-hashed writes and deletes.
const (
	deletedUser  = "d0c1b2a3-9f8e-4d7c-a6b5-c4d3e2f1a0b9" // deleted, in the seed
	deletedUser2 = "a7f3e9d1-5c2b-4e8f-9a6d-3b1c0e2f4d58" // deleted as "users", in the seed
	changedUser  = "4f1c2a9e-7b3d-4e8a-9c61-0d2f5b7a8e13" // written, in the seed
	newUser      = "6b2d8f40-3c1a-4e5b-9d7f-2a8c6e4b0f19" // written
	keptUser     = "f0e1d2c3-b4a5-4697-8899-aabbccddeeff" // in the seed only
)

// seedLegacyDeletes fills the tables of prefix with the entities that the
// fixture incremental-gz-hashed changes, and a few that it leaves alone.
func seedLegacyDeletes(t *testing.T, svc *tables.Service, prefix string) {
	t.Helper()
	seed := map[string][]string{
		"Users": {
			`{"PartitionKey":"` + deletedUser + `","RowKey":"profile","Email":"gone@example.org"}`,
			`{"PartitionKey":"` + deletedUser2 + `","RowKey":"profile","Email":"gone2@example.org"}`,
			`{"PartitionKey":"` + changedUser + `","RowKey":"profile","Email":"zoe@example.com","Nickname":"zed"}`,
			`{"PartitionKey":"` + keptUser + `","RowKey":"profile","Email":"kept@example.org"}`,
		},
		"Clients": {
			`{"PartitionKey":"api-client","RowKey":"client","Name":"API"}`,
			`{"PartitionKey":"web-client","RowKey":"client","Name":"Web"}`,
		},
		"Grants":      {`{"PartitionKey":"grant-1","RowKey":"grant-1","Type":"refresh_token"}`},
		"SigningKeys": {`{"PartitionKey":"signing","RowKey":"key-2025-11","Algorithm":"RS256"}`},
	}
	for table, lines := range seed {
		if err := svc.CreateTable(context.Background(), prefix+table); err != nil {
			t.Fatal(err)
		}
		seedBatches(t, svc, prefix+table, lines)
	}
}

// partitionKeys returns the sorted partition keys of the entities of table.
func partitionKeys(t *testing.T, srv *azurite.Server, table string) []string {
	t.Helper()
	var keys []string
	for pk := range legacyWire(t, srv, table) {
		keys = append(keys, pk)
	}
	sort.Strings(keys)
	return keys
}

func checkKeys(t *testing.T, srv *azurite.Server, table string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if got := partitionKeys(t, srv, table); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %v, want %v", table, got, want)
	}
}

func TestRestoreLegacyDeletes(t *testing.T) {
	srv := azurite.Shared(t)
	svc := connect(t, srv, tables.Options{})
	prefix := uniqueName("tomb")
	seedLegacyDeletes(t, svc, prefix)
	opts := restore.Options{Input: filepath.Join(legacyData, "incremental-gz-hashed"), TargetPrefix: prefix, TargetPrefixSet: true}

	res, logs, err := runRestore(t, svc, opts)
	if err != nil {
		t.Fatalf("restore: %v\nlogs:\n%s", err, logs)
	}

	want := map[string]restore.TableResult{
		"Users":   {Table: "Users", Written: 2, Deleted: 2, Absent: 1},
		"Clients": {Table: "Clients", Deleted: 1},
		"Grants":  {Table: "Grants"},
	}
	if len(res.Tables) != len(want) {
		t.Errorf("restored %d tables, want %d: %+v", len(res.Tables), len(want), res.Tables)
	}
	for _, r := range res.Tables {
		if r != want[r.Table] {
			t.Errorf("table %s: %+v, want %+v", r.Table, r, want[r.Table])
		}
	}

	checkKeys(t, srv, prefix+"Users", changedUser, newUser, keptUser)
	checkKeys(t, srv, prefix+"Clients", "web-client")
	checkKeys(t, srv, prefix+"Grants", "grant-1")
	checkKeys(t, srv, prefix+"SigningKeys", "signing")
	users := legacyWire(t, srv, prefix+"Users")
	checkWire(t, "Users "+changedUser, users[changedUser], map[string]wireProperty{
		"Email":             {entity.String, `"zoe@example.net"`},
		"EmailConfirmed":    {entity.Boolean, `true`},
		"AccessFailedCount": {entity.Int32, `0`},
		"CreatedAt":         {entity.DateTime, `"2024-05-01T08:30:00Z"`},
		"SecurityStamp":     {entity.Guid, `"5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a"`},
		"Score":             {entity.Int32, `8`},
		"Ratio":             {entity.Double, `0.125`},
		"SignCount":         {entity.Int64, `"9007199254740995"`},
	})
	checkWire(t, "Users "+newUser, users[newUser], map[string]wireProperty{
		"Email":             {entity.String, `"new@example.org"`},
		"EmailConfirmed":    {entity.Boolean, `false`},
		"AccessFailedCount": {entity.Int32, `0`},
		"CreatedAt":         {entity.DateTime, `"2026-03-01T23:05:12.5Z"`},
		"Score":             {entity.Int64, `"2147483648"`},
	})
	checkWire(t, "Users "+keptUser, users[keptUser], map[string]wireProperty{
		"Email": {entity.String, `"kept@example.org"`},
	})

	if !strings.Contains(logs, "1 deletes of table SigningKeys are not applied") {
		t.Errorf("no warning about the deletes of SigningKeys in the log:\n%s", logs)
	}
}

func TestRestoreLegacyDeletesDryRun(t *testing.T) {
	srv := azurite.Shared(t)
	svc := connect(t, srv, tables.Options{})
	prefix := uniqueName("tombdry")
	seedLegacyDeletes(t, svc, prefix)

	var stdout bytes.Buffer
	_, logs, err := runRestore(t, svc, restore.Options{
		Input: filepath.Join(legacyData, "incremental-gz-hashed"), TargetPrefix: prefix, TargetPrefixSet: true,
		DryRun: true, Stdout: &stdout,
	})
	if err != nil {
		t.Fatalf("dry run: %v\nlogs:\n%s", err, logs)
	}

	counts := map[string]string{}
	for _, line := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			counts[f[0]] = f[1] + " " + f[2]
		}
	}
	for table, want := range map[string]string{"Users": "2 3", "Clients": "0 1", "Grants": "0 0"} {
		if counts[table] != want {
			t.Errorf("%s: WRITE DELETE = %q, want %q:\n%s", table, counts[table], want, stdout.String())
		}
	}
	checkKeys(t, srv, prefix+"Users", deletedUser, deletedUser2, changedUser, keptUser)
	checkKeys(t, srv, prefix+"Clients", "api-client", "web-client")
}

func TestRestoreLegacyDeletesTableSubset(t *testing.T) {
	srv := azurite.Shared(t)
	svc := connect(t, srv, tables.Options{})
	prefix := uniqueName("tombsub")
	seedLegacyDeletes(t, svc, prefix)

	res, logs, err := runRestore(t, svc, restore.Options{
		Input: filepath.Join(legacyData, "incremental-gz-hashed"), TargetPrefix: prefix, TargetPrefixSet: true,
		Tables: []string{"clients"},
	})
	if err != nil {
		t.Fatalf("restore: %v\nlogs:\n%s", err, logs)
	}

	if len(res.Tables) != 1 || res.Tables[0] != (restore.TableResult{Table: "Clients", Deleted: 1}) {
		t.Errorf("tables = %+v, want only Clients with 1 deleted", res.Tables)
	}
	checkKeys(t, srv, prefix+"Clients", "web-client")
	checkKeys(t, srv, prefix+"Users", deletedUser, deletedUser2, changedUser, keptUser)
}

func TestRestoreLegacyBadDeletesWriteNothing(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{manifest.FileName, "Users.jsonl"} {
		data, err := os.ReadFile(filepath.Join(legacyData, "incremental", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	deletes := `{"Table":"Users","PartitionKey":"` + deletedUser + `","RowKey":"profile","DeletedAt":"2026-03-01T09:40:00+00:00"}` + "\n" +
		`{"Table":"Sessions","PartitionKey":"s","RowKey":"1","DeletedAt":"2026-03-01T09:41:00+00:00"}` + "\n" +
		`{"Table":"Clients","PartitionKey":"api-client"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "_tombstones.jsonl"), []byte(deletes), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := azurite.Shared(t)
	svc := connect(t, srv, tables.Options{})
	prefix := uniqueName("tombbad")
	seedLegacyDeletes(t, svc, prefix)

	_, _, err := runRestore(t, svc, restore.Options{Input: dir, TargetPrefix: prefix, TargetPrefixSet: true})

	var verr *manifest.VerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("restore error = %v, want a VerificationError", err)
	}
	var problems []string
	for _, p := range verr.Problems {
		problems = append(problems, p.String())
	}
	// The delete of Sessions, a table the backup does not hold, is only a
	// warning: the .NET tool records the deletes of every table.
	for _, want := range []string{
		`_tombstones.jsonl: line 3: invalid line of deletes: missing RowKey`,
		`_tombstones.jsonl: holds 3 deletes, but the manifest records TombstoneCount 2`,
	} {
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, want) }) {
			t.Errorf("no problem starting %q:\n%s", want, strings.Join(problems, "\n"))
		}
	}
	if len(problems) != 2 {
		t.Errorf("got %d problems, want 2:\n%s", len(problems), strings.Join(problems, "\n"))
	}
	checkKeys(t, srv, prefix+"Users", deletedUser, deletedUser2, changedUser, keptUser)
	checkKeys(t, srv, prefix+"Clients", "api-client", "web-client")
}

func TestRestoreLegacyIncrementalWithoutDeletes(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join(legacyData, "incremental", manifest.FileName))
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), `"TombstoneCount": 2`, `"TombstoneCount": 0`, 1))
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	users, err := os.ReadFile(filepath.Join(legacyData, "incremental", "Users.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Users.jsonl"), users, 0o600); err != nil {
		t.Fatal(err)
	}

	target := freshServer(t)
	svc := connect(t, target, tables.Options{})
	if _, _, err := runRestore(t, svc, restore.Options{Input: dir, Mode: restore.Clean}); err == nil || !strings.Contains(err.Error(), "is an incremental backup") {
		t.Errorf("clean restore of the incremental: error = %v, want a rejection", err)
	}
	_, logs, err := runRestore(t, svc, restore.Options{Input: dir})
	if err != nil {
		t.Fatalf("restore: %v\nlogs:\n%s", err, logs)
	}
	if !strings.Contains(logs, "restoring one incremental backup on its own") {
		t.Errorf("no warning about the incremental applied alone:\n%s", logs)
	}
	got := legacyWire(t, target, "Users")
	checkWire(t, "Users", got["4f1c2a9e-7b3d-4e8a-9c61-0d2f5b7a8e13"], map[string]wireProperty{
		"Email":             {entity.String, `"zoe@example.org"`},
		"EmailConfirmed":    {entity.Boolean, `true`},
		"AccessFailedCount": {entity.Int32, `1`},
		"CreatedAt":         {entity.DateTime, `"2024-05-01T08:30:00Z"`},
		"SecurityStamp":     {entity.Guid, `"0e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a"`},
		"Score":             {entity.Int32, `6`},
		"Ratio":             {entity.Double, `0.5`},
		"SignCount":         {entity.Int64, `"9007199254740994"`},
	})
}
