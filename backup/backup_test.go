package backup_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

func TestMain(m *testing.M) { azurite.Main(m) }

var tableSeq int

// uniqueName returns a table name no other test of the package uses, since
// all of them share one Azurite.
func uniqueName(prefix string) string {
	tableSeq++
	return fmt.Sprintf("%s%d%d", prefix, time.Now().UnixNano()%1000000, tableSeq)
}

func service(t *testing.T) *tables.Service {
	t.Helper()
	svc, err := azurite.Shared(t).Service()
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// seed creates table and writes the given lines to it.
func seed(t *testing.T, svc *tables.Service, table string, lines ...string) {
	t.Helper()
	ctx := context.Background()
	if err := svc.CreateTable(ctx, table); err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		e, err := entity.Parse([]byte(line))
		if err != nil {
			t.Fatalf("seed line %s: %v", line, err)
		}
		b := tables.NewBatch(table)
		b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
		if err := svc.SubmitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, opts backup.Options) (*backup.Result, string, error) {
	t.Helper()
	var logs bytes.Buffer
	if opts.Service == nil {
		opts.Service = service(t)
	}
	if opts.Output == "" {
		opts.Output = t.TempDir()
	}
	if opts.Stdout == nil {
		opts.Stdout = &bytes.Buffer{}
	}
	opts.Log = zerolog.New(zerolog.SyncWriter(&logs))
	res, err := backup.Run(context.Background(), opts)
	return res, logs.String(), err
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	c, ok := codec.ForFile(path)
	if !ok {
		t.Fatalf("no codec for %s", path)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := c.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for {
		line, err := r.ReadLine()
		if err != nil {
			break
		}
		lines = append(lines, string(line))
	}
	return lines
}

func TestBackupWritesVerifiableFolder(t *testing.T) {
	svc := service(t)
	users, empty := uniqueName("Users"), uniqueName("Empty")
	seed(t, svc, users,
		`{"PartitionKey":"u1","RowKey":"profile","Email":"a@example.com","Age":30}`,
		`{"PartitionKey":"u2","RowKey":"profile","Email":"b@example.com","Age":31}`)
	seed(t, svc, empty)

	for _, name := range []string{codec.NameJSONL, codec.NameJSONLGzip} {
		t.Run(name, func(t *testing.T) {
			c, _ := codec.ByName(name)
			res, _, err := run(t, backup.Options{Tables: []string{users, empty}, Codec: c})
			if err != nil {
				t.Fatal(err)
			}
			report, err := manifest.Verify(context.Background(), res.Dir, manifest.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !report.OK() {
				t.Fatalf("verify: %v", report.Err())
			}
			if got := res.Manifest.Tables[users].EntityCount; got != 2 {
				t.Errorf("%s EntityCount = %d, want 2", users, got)
			}
			emptyFile := filepath.Join(res.Dir, empty+c.Suffix())
			if _, err := os.Stat(emptyFile); err != nil {
				t.Errorf("empty table has no file: %v", err)
			}
			if got := res.Manifest.Tables[empty].EntityCount; got != 0 {
				t.Errorf("empty table EntityCount = %d, want 0", got)
			}
			if res.Manifest.Compressed != (name == codec.NameJSONLGzip) {
				t.Errorf("Compressed = %v for codec %s", res.Manifest.Compressed, name)
			}
		})
	}
}

func TestBackupPermissionsOwnerOnly(t *testing.T) {
	svc := service(t)
	table := uniqueName("Perm")
	seed(t, svc, table, `{"PartitionKey":"p","RowKey":"r"}`)
	old := setUmask(0)
	defer setUmask(old)

	res, _, err := run(t, backup.Options{Tables: []string{table}})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(res.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != 0o700 {
		t.Errorf("folder mode = %o, want 700", got)
	}
	entries, _ := os.ReadDir(res.Dir)
	for _, e := range entries {
		info, _ := e.Info()
		if got := info.Mode().Perm(); got != 0o600 {
			t.Errorf("%s mode = %o, want 600", e.Name(), got)
		}
	}
}

func TestBackupKeepsValuesByteExact(t *testing.T) {
	srv := azurite.Shared(t)
	svc := service(t)
	table := uniqueName("Exact")
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	body := `{"PartitionKey":"p","RowKey":"r",` +
		`"D@odata.type":"Edm.Double","D":5.0,` +
		`"L@odata.type":"Edm.Int64","L":"9007199254740993",` +
		`"N@odata.type":"Edm.Double","N":"NaN",` +
		`"T@odata.type":"Edm.DateTime","T":"2013-08-02T17:37:43.0090043Z",` +
		`"S":"2026-03-29T12:00:00Z","Z":"0123","B":"true"}`
	if err := srv.InsertRaw(context.Background(), table, []byte(body)); err != nil {
		t.Fatal(err)
	}

	res, _, err := run(t, backup.Options{Tables: []string{table}})
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, filepath.Join(res.Dir, table+".jsonl"))
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	for _, want := range []string{
		`"D@odata.type":"Edm.Double","D":5.0`,
		`"L@odata.type":"Edm.Int64","L":"9007199254740993"`,
		`"N@odata.type":"Edm.Double","N":"NaN"`,
		`"T@odata.type":"Edm.DateTime","T":"2013-08-02T17:37:43.0090043Z"`,
		`"S":"2026-03-29T12:00:00Z"`,
		`"Z":"0123"`,
		`"B":"true"`,
	} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line lacks %s:\n%s", want, lines[0])
		}
	}
	for _, unwanted := range []string{"odata.etag", "odata.metadata", "odata.id", "odata.editLink", `"odata.type"`} {
		if strings.Contains(lines[0], unwanted) {
			t.Errorf("line contains %s:\n%s", unwanted, lines[0])
		}
	}
}

func TestBackupPagesAllEntities(t *testing.T) {
	svc := service(t)
	table := uniqueName("Paged")
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	const partitions, perPartition = 25, 50 // 1,250 entities, more than one page of 1,000
	for p := 0; p < partitions; p++ {
		b := tables.NewBatch(table)
		for r := 0; r < perPartition; r++ {
			e, err := entity.Parse([]byte(fmt.Sprintf(`{"PartitionKey":"p%02d","RowKey":"r%03d","N":%d}`, p, r, r)))
			if err != nil {
				t.Fatal(err)
			}
			b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
		}
		if err := svc.SubmitBatch(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}

	res, _, err := run(t, backup.Options{Tables: []string{table}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Manifest.Tables[table].EntityCount; got != partitions*perPartition {
		t.Errorf("EntityCount = %d, want %d", got, partitions*perPartition)
	}
	lines := readLines(t, filepath.Join(res.Dir, table+".jsonl"))
	if len(lines) != partitions*perPartition {
		t.Errorf("file has %d lines, want %d", len(lines), partitions*perPartition)
	}
}

func TestBackupDefaultSet(t *testing.T) {
	// A private Azurite, because this test needs an account with exactly
	// the tables it creates.
	srv, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Users", "Clients", tables.SigningKeys, "SamlReplayCache", "OidcStateStore", "OtherApp"} {
		seed(t, svc, name, `{"PartitionKey":"p","RowKey":"r"}`)
	}

	t.Run("default", func(t *testing.T) {
		res, logs, err := run(t, backup.Options{Service: svc})
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{tables.SigningKeys, "SamlReplayCache", "OidcStateStore"} {
			if _, ok := res.Manifest.Tables[name]; ok {
				t.Errorf("%s was backed up by default", name)
			}
			if !excluded(res.Manifest, name) {
				t.Errorf("%s not listed in ExcludedTables", name)
			}
		}
		for _, name := range []string{"Users", "Clients"} {
			if _, ok := res.Manifest.Tables[name]; !ok {
				t.Errorf("%s missing from the backup", name)
			}
		}
		if !contains(res.Manifest.MissingTables, "Grants") {
			t.Errorf("MissingTables = %v, want it to list Grants", res.Manifest.MissingTables)
		}
		if !strings.Contains(logs, `"table":"Grants"`) {
			t.Errorf("no warning names the missing table Grants:\n%s", logs)
		}
		if _, ok := res.Manifest.Tables["OtherApp"]; ok {
			t.Errorf("a table outside the default set was backed up")
		}
		if !strings.Contains(logs, "OtherApp") {
			t.Errorf("no log line names the table outside the set:\n%s", logs)
		}
	})

	t.Run("include signing keys", func(t *testing.T) {
		res, logs, err := run(t, backup.Options{Service: svc, IncludeSigningKeys: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := res.Manifest.Tables[tables.SigningKeys]; !ok {
			t.Errorf("SigningKeys not backed up")
		}
		if !strings.Contains(logs, "private key") {
			t.Errorf("no warning about the private key:\n%s", logs)
		}
	})

	t.Run("explicit missing table", func(t *testing.T) {
		out := t.TempDir()
		_, _, err := run(t, backup.Options{Service: svc, Output: out, Tables: []string{"Users", "NoSuchTable"}})
		if err == nil || !strings.Contains(err.Error(), "NoSuchTable") {
			t.Fatalf("err = %v, want one naming NoSuchTable", err)
		}
		if !strings.Contains(err.Error(), "OtherApp") {
			t.Errorf("err = %v, want it to list the tables the account has", err)
		}
		entries, _ := os.ReadDir(out)
		if len(entries) != 0 {
			t.Errorf("output folder holds %d entries after a failed backup, want 0", len(entries))
		}
	})

	t.Run("dry run", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "never")
		var stdout bytes.Buffer
		_, _, err := run(t, backup.Options{Service: svc, Output: out, DryRun: true, Stdout: &stdout})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("dry run created the output folder")
		}
		if !strings.Contains(stdout.String(), "Users") {
			t.Errorf("dry run listing lacks Users:\n%s", stdout.String())
		}
		if !strings.Contains(stdout.String(), "not backed up: OtherApp") {
			t.Errorf("dry run does not mention the table outside the set:\n%s", stdout.String())
		}
	})
}

func TestBackupSameSecondGetsSuffix(t *testing.T) {
	svc := service(t)
	table := uniqueName("Twice")
	seed(t, svc, table, `{"PartitionKey":"p","RowKey":"r"}`)
	out := t.TempDir()
	fixed := func() time.Time { return time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC) }

	first, _, err := run(t, backup.Options{Tables: []string{table}, Output: out, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := run(t, backup.Options{Tables: []string{table}, Output: out, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if got := filepath.Base(first.Dir); got != "20261204-020000" {
		t.Errorf("first folder = %s, want 20261204-020000", got)
	}
	if got := filepath.Base(second.Dir); got != "20261204-020000-2" {
		t.Errorf("second folder = %s, want 20261204-020000-2", got)
	}
}

func TestBackupFailureLeavesNothing(t *testing.T) {
	svc := service(t)
	good := uniqueName("Good")
	seed(t, svc, good, `{"PartitionKey":"p","RowKey":"r"}`)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := backup.Run(ctx, backup.Options{Service: svc, Output: out, Tables: []string{good}, Stdout: &bytes.Buffer{}, Log: zerolog.Nop()})
	if err == nil {
		t.Fatal("backup with a cancelled context succeeded")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func excluded(m *manifest.Manifest, name string) bool {
	for _, x := range m.ExcludedTables {
		if x.Name == name && x.Reason != "" {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
