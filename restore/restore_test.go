package restore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
	"github.com/authagonal/authagonal-tables/tables"
)

func TestMain(m *testing.M) { azurite.Main(m) }

var nameSeq struct {
	sync.Mutex
	n int
}

// uniqueName returns a table name that no other test of the package uses,
// since they share one Azurite.
func uniqueName(prefix string) string {
	nameSeq.Lock()
	defer nameSeq.Unlock()
	nameSeq.n++
	return fmt.Sprintf("%s%d%d", prefix, time.Now().UnixNano()%1000000, nameSeq.n)
}

// freshServer starts an empty Azurite of the test's own.
func freshServer(t *testing.T) *azurite.Server {
	t.Helper()
	srv, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

func connect(t *testing.T, srv *azurite.Server, opts tables.Options) *tables.Service {
	t.Helper()
	account, err := tables.ParseConnectionString(srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tables.Connect(account, opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// writeBackup builds a backup folder by hand from entity lines per table,
// as backup would write it, so tests can plant any content.
func writeBackup(t *testing.T, files map[string][]string) string {
	t.Helper()
	dir := t.TempDir()
	c, _ := codec.ByName(codec.NameJSONL)
	m := &manifest.Manifest{
		FormatVersion: manifest.FormatVersion, BackupID: "test", BackupTimestamp: time.Now().UTC(),
		Mode: manifest.ModeFull, Codec: c.Name(),
		Tables: map[string]manifest.Table{}, FileHashes: map[string]string{},
	}
	for table, lines := range files {
		name := table + c.Suffix()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		hw := manifest.NewHashWriter(f)
		w, _ := c.NewWriter(hw)
		for _, line := range lines {
			if err := w.WriteLine([]byte(line)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		m.Tables[table] = manifest.Table{EntityCount: int64(len(lines)), File: name, Bytes: hw.Bytes()}
		m.FileHashes[name] = hw.Sum()
		m.TotalEntities += int64(len(lines))
	}
	if err := manifest.Write(dir, m); err != nil {
		t.Fatal(err)
	}
	return dir
}

func runRestore(t *testing.T, svc *tables.Service, opts restore.Options) (*restore.Result, string, error) {
	t.Helper()
	var logs, stdout bytes.Buffer
	opts.Service = svc
	if opts.Mode == "" {
		opts.Mode = restore.Upsert
	}
	opts.Log = zerolog.New(zerolog.SyncWriter(&logs))
	if opts.Stdout == nil {
		opts.Stdout = &stdout
	}
	res, err := restore.Run(context.Background(), opts)
	return res, logs.String(), err
}

func runBackup(t *testing.T, svc *tables.Service, table string) string {
	t.Helper()
	res, err := backup.Run(context.Background(), backup.Options{
		Service: svc, Output: t.TempDir(), Tables: []string{table},
		Stdout: io.Discard, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Dir
}

// wireEntities reads table with plain HTTP and returns each entity as its
// raw properties, keyed "PartitionKey/RowKey", without the properties the
// service sets itself (Timestamp and the OData control properties).
func wireEntities(t *testing.T, srv *azurite.Server, table string) map[string]map[string]string {
	t.Helper()
	raw, err := srv.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, e := range raw {
		props := map[string]string{}
		for name, value := range e {
			if strings.HasPrefix(name, "odata.") || strings.HasPrefix(name, "Timestamp") {
				continue
			}
			props[name] = string(value)
		}
		var pk, rk string
		_ = json.Unmarshal(e["PartitionKey"], &pk)
		_ = json.Unmarshal(e["RowKey"], &rk)
		out[pk+"/"+rk] = props
	}
	return out
}

func compareWire(t *testing.T, want, got map[string]map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d entities, want %d", len(got), len(want))
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("entity %s missing", k)
			continue
		}
		for name, value := range want[k] {
			if g[name] != value {
				t.Errorf("entity %s property %s = %.80s, want %.80s", k, name, g[name], value)
			}
		}
		for name := range g {
			if _, ok := want[k][name]; !ok {
				t.Errorf("entity %s has extra property %s", k, name)
			}
		}
	}
}

func TestRestoreEveryTypeExactOnTheWire(t *testing.T) {
	source := azurite.Shared(t)
	svc := connect(t, source, tables.Options{})
	table := uniqueName("Types")
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	binary := make([]byte, 64*1024)
	for i := range binary {
		binary[i] = byte(i * 7)
	}
	bodies := []string{
		`{"PartitionKey":"ints","RowKey":"1","I32":2147483647,"I32Min":-2147483648,"Zero":0,` +
			`"Max@odata.type":"Edm.Int64","Max":"9223372036854775807",` +
			`"Min@odata.type":"Edm.Int64","Min":"-9223372036854775808",` +
			`"Above53@odata.type":"Edm.Int64","Above53":"9007199254740993",` +
			`"One@odata.type":"Edm.Int64","One":"1"}`,
		`{"PartitionKey":"doubles","RowKey":"1",` +
			`"Integral@odata.type":"Edm.Double","Integral":5.0,` +
			`"Tenth@odata.type":"Edm.Double","Tenth":0.1,` +
			`"Tiny@odata.type":"Edm.Double","Tiny":5e-324,` +
			`"Huge@odata.type":"Edm.Double","Huge":1.7976931348623157e308,` +
			`"NaN@odata.type":"Edm.Double","NaN":"NaN",` +
			`"Inf@odata.type":"Edm.Double","Inf":"Infinity",` +
			`"NegInf@odata.type":"Edm.Double","NegInf":"-Infinity"}`,
		`{"PartitionKey":"misc","RowKey":"1","T":true,"F":false,` +
			`"When@odata.type":"Edm.DateTime","When":"2013-08-02T17:37:43.0090043Z",` +
			`"Epoch@odata.type":"Edm.DateTime","Epoch":"1601-01-01T00:00:00.0000001Z",` +
			`"Id@odata.type":"Edm.Guid","Id":"c9da6455-213d-42c9-9a79-3e9149a57833",` +
			`"Blob@odata.type":"Edm.Binary","Blob":"` + base64(binary) + `",` +
			`"DateLike":"2026-03-29T12:00:00Z","Zeros":"0123","TrueLike":"true","GuidLike":"c9da6455-213d-42c9-9a79-3e9149a57833",` +
			`"Empty":"","Unicode":"Zoë O'Brien 李 😀","Escapes":"tab\tquote\"backslash\\",` +
			// Azurite's batch parser breaks on raw U+2028 and U+2029, which
			// it returns unescaped; restore escapes them on the wire.
			`"Separators":"line\u2028paragraph\u2029end"}`,
	}
	for _, body := range bodies {
		if err := source.InsertRaw(context.Background(), table, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	want := wireEntities(t, source, table)

	for _, name := range []string{codec.NameJSONL, codec.NameJSONLGzip} {
		t.Run(name, func(t *testing.T) {
			c, _ := codec.ByName(name)
			res, err := backup.Run(context.Background(), backup.Options{
				Service: svc, Output: t.TempDir(), Tables: []string{table}, Codec: c,
				Stdout: io.Discard, Log: zerolog.Nop(),
			})
			if err != nil {
				t.Fatal(err)
			}
			target := freshServer(t)
			if _, _, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: res.Dir}); err != nil {
				t.Fatal(err)
			}
			compareWire(t, want, wireEntities(t, target, table))
		})
	}
}

func base64(b []byte) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	_ = enc.Encode(b) // encoding/json writes []byte as standard base64
	return strings.Trim(strings.TrimSpace(buf.String()), `"`)
}

func TestRestoreManyPagesPartitionsAndLargeBatches(t *testing.T) {
	var lines []string
	// 1,100 entities in 110 partitions: more than one page.
	for p := 0; p < 110; p++ {
		for r := 0; r < 10; r++ {
			lines = append(lines, fmt.Sprintf(`{"PartitionKey":"p%03d","RowKey":"r%02d","N":%d}`, p, r, r))
		}
	}
	// One partition of 250: three batches.
	for r := 0; r < 250; r++ {
		lines = append(lines, fmt.Sprintf(`{"PartitionKey":"wide","RowKey":"r%03d","N":%d}`, r, r))
	}
	// 100 entities of about 60 KiB in one partition, 6 MiB in all: the
	// 4 MiB body limit, not the 100-operation limit, must split them.
	big := strings.Repeat("x", 30000)
	for r := 0; r < 100; r++ {
		lines = append(lines, fmt.Sprintf(`{"PartitionKey":"big","RowKey":"r%03d","A":"%s","B":"%s"}`, r, big, big))
	}
	table := uniqueName("Many")
	dir := writeBackup(t, map[string][]string{table: lines})

	target := freshServer(t)
	res, _, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Tables[0].Written; got != int64(len(lines)) {
		t.Errorf("written = %d, want %d", got, len(lines))
	}
	got := wireEntities(t, target, table)
	if len(got) != len(lines) {
		t.Errorf("table holds %d entities, want %d", len(got), len(lines))
	}
	if v := got["big/r099"]["A"]; len(v) != len(big)+2 {
		t.Errorf("big/r099 property A has %d bytes, want %d", len(v), len(big)+2)
	}
}

func TestRestoreNamesOversizeEntity(t *testing.T) {
	var lines []string
	for r := 0; r < 100; r++ {
		value := "small"
		if r == 42 {
			value = strings.Repeat("y", 40000) // over the 64 KiB property limit in UTF-16
		}
		lines = append(lines, fmt.Sprintf(`{"PartitionKey":"p","RowKey":"r%03d","V":"%s"}`, r, value))
	}
	table := uniqueName("Oversize")
	dir := writeBackup(t, map[string][]string{table: lines})

	target := freshServer(t)
	res, _, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: dir})
	var partial *restore.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("err = %v, want a *restore.PartialError", err)
	}
	if len(partial.Failed) != 1 {
		t.Fatalf("failed = %v, want one entity", partial.Failed)
	}
	f := partial.Failed[0]
	if f.Line != 43 || f.Key.RowKey != "r042" || f.Code != "PropertyValueTooLarge" {
		t.Errorf("failed entity = %+v, want line 43, RowKey r042, code PropertyValueTooLarge", f)
	}
	if res.Tables[0].Written != 99 {
		t.Errorf("written = %d, want 99", res.Tables[0].Written)
	}
	if got := len(wireEntities(t, target, table)); got != 99 {
		t.Errorf("table holds %d entities, want 99", got)
	}
}

func TestRestoreModes(t *testing.T) {
	table := uniqueName("Modes")
	dir := writeBackup(t, map[string][]string{table: {
		`{"PartitionKey":"p","RowKey":"a","V":"backup"}`,
		`{"PartitionKey":"p","RowKey":"b","V":"backup"}`,
	}})
	cases := []struct {
		mode restore.Mode
		want map[string]map[string]string
	}{
		{restore.Upsert, map[string]map[string]string{
			"p/a":     {"PartitionKey": `"p"`, "RowKey": `"a"`, "V": `"backup"`},
			"p/b":     {"PartitionKey": `"p"`, "RowKey": `"b"`, "V": `"backup"`},
			"p/extra": {"PartitionKey": `"p"`, "RowKey": `"extra"`, "V": `"live"`},
		}},
		{restore.Merge, map[string]map[string]string{
			"p/a":     {"PartitionKey": `"p"`, "RowKey": `"a"`, "V": `"backup"`, "Live": `"kept"`},
			"p/b":     {"PartitionKey": `"p"`, "RowKey": `"b"`, "V": `"backup"`},
			"p/extra": {"PartitionKey": `"p"`, "RowKey": `"extra"`, "V": `"live"`},
		}},
		{restore.Clean, map[string]map[string]string{
			"p/a": {"PartitionKey": `"p"`, "RowKey": `"a"`, "V": `"backup"`},
			"p/b": {"PartitionKey": `"p"`, "RowKey": `"b"`, "V": `"backup"`},
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			target := freshServer(t)
			svc := connect(t, target, tables.Options{})
			if err := svc.CreateTable(context.Background(), table); err != nil {
				t.Fatal(err)
			}
			for _, body := range []string{
				`{"PartitionKey":"p","RowKey":"a","V":"live","Live":"kept"}`,
				`{"PartitionKey":"p","RowKey":"extra","V":"live"}`,
			} {
				if err := target.InsertRaw(context.Background(), table, []byte(body)); err != nil {
					t.Fatal(err)
				}
			}
			if _, _, err := runRestore(t, svc, restore.Options{Input: dir, Mode: tc.mode}); err != nil {
				t.Fatal(err)
			}
			compareWire(t, tc.want, wireEntities(t, target, table))
		})
	}
}

func TestRestoreDryRunWritesNothing(t *testing.T) {
	existing, created := uniqueName("Existing"), uniqueName("Absent")
	dir := writeBackup(t, map[string][]string{
		existing: {`{"PartitionKey":"p","RowKey":"a","V":"backup"}`},
		created:  {`{"PartitionKey":"p","RowKey":"a","V":"backup"}`},
	})
	target := freshServer(t)
	svc := connect(t, target, tables.Options{})
	if err := svc.CreateTable(context.Background(), existing); err != nil {
		t.Fatal(err)
	}
	if err := target.InsertRaw(context.Background(), existing, []byte(`{"PartitionKey":"p","RowKey":"extra","V":"live"}`)); err != nil {
		t.Fatal(err)
	}
	before := wireEntities(t, target, existing)

	var stdout bytes.Buffer
	if _, _, err := runRestore(t, svc, restore.Options{Input: dir, Mode: restore.Clean, DryRun: true, Stdout: &stdout}); err != nil {
		t.Fatal(err)
	}
	compareWire(t, before, wireEntities(t, target, existing))
	names, err := svc.ListTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 {
		t.Errorf("tables after dry run = %v, want only %s", names, existing)
	}
	for _, want := range []string{existing, created, "would be created", "Nothing was written"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, stdout.String())
		}
	}
}

func TestRestoreCorruptFileStopsEveryTable(t *testing.T) {
	first, second := uniqueName("Aaa"), uniqueName("Zzz")
	dir := writeBackup(t, map[string][]string{
		first:  {`{"PartitionKey":"p","RowKey":"a"}`},
		second: {`{"PartitionKey":"p","RowKey":"a","V":"value"}`},
	})
	path := filepath.Join(dir, second+".jsonl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-5] ^= 0x01 // "value" becomes "vamue"
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}

	target := freshServer(t)
	svc := connect(t, target, tables.Options{})
	_, _, err = runRestore(t, svc, restore.Options{Input: dir})
	var verr *manifest.VerificationError
	if !errors.As(err, &verr) {
		t.Fatalf("err = %v, want a *manifest.VerificationError", err)
	}
	if !strings.Contains(err.Error(), second+".jsonl") || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("error does not name the file and the hash: %v", err)
	}
	names, err := svc.ListTables(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 0 {
		t.Errorf("tables created despite the failed verification: %v", names)
	}
}

// recorder is an HTTP transport that keeps every request body it sends.
type recorder struct {
	mu     sync.Mutex
	bodies []string
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.mu.Lock()
		r.bodies = append(r.bodies, string(body))
		r.mu.Unlock()
	}
	return http.DefaultClient.Do(req)
}

func TestRestoreSendsNoSystemProperties(t *testing.T) {
	table := uniqueName("System")
	dir := writeBackup(t, map[string][]string{table: {
		`{"odata.etag":"W/\"datetime'2001-01-01T00%3A00%3A00.0000000Z'\"","PartitionKey":"p","RowKey":"a",` +
			`"Timestamp@odata.type":"Edm.DateTime","Timestamp":"2001-01-01T00:00:00.0000000Z","V":"x"}`,
	}})
	target := freshServer(t)
	rec := &recorder{}
	if _, _, err := runRestore(t, connect(t, target, tables.Options{Transport: rec}), restore.Options{Input: dir}); err != nil {
		t.Fatal(err)
	}
	sent := strings.Join(rec.bodies, "\n")
	if !strings.Contains(sent, `"V":"x"`) {
		t.Fatalf("recorded bodies lack the entity:\n%s", sent)
	}
	for _, unwanted := range []string{"Timestamp", "etag", "2001-01-01"} {
		if strings.Contains(sent, unwanted) {
			t.Errorf("request body contains %q:\n%s", unwanted, sent)
		}
	}
	raw, err := target.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw[0]["Timestamp"]), "2001") {
		t.Errorf("the file's Timestamp reached the service: %s", raw[0]["Timestamp"])
	}
}

func TestRestoreReportsForbiddenKeys(t *testing.T) {
	table := uniqueName("Keys")
	dir := writeBackup(t, map[string][]string{table: {
		`{"PartitionKey":"ok","RowKey":"Zoë 😀 O'Brien"}`,
		`{"PartitionKey":"ok","RowKey":"a/b"}`,
		`{"PartitionKey":"ok","RowKey":"a#b"}`,
		`{"PartitionKey":"ok","RowKey":"a?b"}`,
		`{"PartitionKey":"ok","RowKey":"a\\b"}`,
		`{"PartitionKey":"ok","RowKey":"tab\there"}`,
		`{"PartitionKey":"ok","RowKey":"sandbox-1|user"}`,
	}})
	target := freshServer(t)
	_, _, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: dir})
	var partial *restore.PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("err = %v, want a *restore.PartialError", err)
	}
	var lines []int64
	for _, f := range partial.Failed {
		lines = append(lines, f.Line)
		if f.Code != "InvalidKey" {
			t.Errorf("line %d code = %s, want InvalidKey", f.Line, f.Code)
		}
	}
	if fmt.Sprint(lines) != "[2 3 4 5 6]" {
		t.Errorf("failed lines = %v, want [2 3 4 5 6]", lines)
	}
	got := wireEntities(t, target, table)
	for _, key := range []string{"ok/Zoë 😀 O'Brien", "ok/sandbox-1|user"} {
		if _, ok := got[key]; !ok {
			t.Errorf("entity %s not restored", key)
		}
	}
}

func TestRestoreTableSubset(t *testing.T) {
	keep, skip := uniqueName("Keep"), uniqueName("Skip")
	dir := writeBackup(t, map[string][]string{
		keep: {`{"PartitionKey":"p","RowKey":"a"}`},
		skip: {`{"PartitionKey":"p","RowKey":"a"}`},
	})
	target := freshServer(t)
	svc := connect(t, target, tables.Options{})

	t.Run("known", func(t *testing.T) {
		if _, _, err := runRestore(t, svc, restore.Options{Input: dir, Tables: []string{keep}}); err != nil {
			t.Fatal(err)
		}
		names, _ := svc.ListTables(context.Background())
		if len(names) != 1 || names[0] != keep {
			t.Errorf("tables = %v, want [%s]", names, keep)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		_, _, err := runRestore(t, svc, restore.Options{Input: dir, Tables: []string{"NotInBackup"}})
		if err == nil || !strings.Contains(err.Error(), "NotInBackup") || !strings.Contains(err.Error(), keep) {
			t.Errorf("err = %v, want one naming NotInBackup and the tables available", err)
		}
	})
}

func TestRestoreBackupRoundTrip(t *testing.T) {
	source := azurite.Shared(t)
	svc := connect(t, source, tables.Options{})
	table := uniqueName("Round")
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 30; i++ {
		body := fmt.Sprintf(`{"PartitionKey":"sandbox-1|u%02d","RowKey":"profile","Count":%d,"Big@odata.type":"Edm.Int64","Big":"%d"}`, i%7, i, int64(1)<<40+int64(i))
		if err := source.InsertRaw(context.Background(), table, []byte(strings.Replace(body, "profile", fmt.Sprintf("profile%d", i), 1))); err != nil {
			t.Fatal(err)
		}
	}
	dir := runBackup(t, svc, table)
	target := freshServer(t)
	if _, _, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: dir}); err != nil {
		t.Fatal(err)
	}
	compareWire(t, wireEntities(t, source, table), wireEntities(t, target, table))
}

// failingTransport sends the first n requests and fails every later one as
// if the service had gone away.
type failingTransport struct {
	mu sync.Mutex
	n  int
}

func (f *failingTransport) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	f.n--
	ok := f.n >= 0
	f.mu.Unlock()
	if !ok {
		return nil, errors.New("connection refused")
	}
	return http.DefaultClient.Do(req)
}

func TestRestoreStopsWhenServiceGoesAway(t *testing.T) {
	table := uniqueName("Away")
	var lines []string
	for p := 0; p < 5; p++ {
		for r := 0; r < 100; r++ {
			lines = append(lines, fmt.Sprintf(`{"PartitionKey":"p%d","RowKey":"r%03d"}`, p, r))
		}
	}
	dir := writeBackup(t, map[string][]string{table: lines})
	target := freshServer(t)
	// One request creates the table, two write batches, then the service
	// is gone.
	svc := connect(t, target, tables.Options{Transport: &failingTransport{n: 3}, MaxRetries: 1, RetryDelay: time.Millisecond})

	res, _, err := runRestore(t, svc, restore.Options{Input: dir})
	if err == nil {
		t.Fatal("restore against a vanished service succeeded")
	}
	var partial *restore.PartialError
	if errors.As(err, &partial) {
		t.Fatalf("err is a partial success, want a plain error: %v", err)
	}
	if !strings.Contains(err.Error(), "unreachable") || !strings.Contains(err.Error(), "run the same restore command again") {
		t.Errorf("err = %v, want it to say the service is unreachable and how to finish", err)
	}
	if got := res.Tables[0].Written; got != 200 {
		t.Errorf("written = %d, want 200", got)
	}
}

func TestRestoreParallelUnsortedFile(t *testing.T) {
	srv := freshServer(t)
	svc := connect(t, srv, tables.Options{})
	table := uniqueName("Unsorted")
	// 3,000 keys in 30 partitions, in an order that falls back often, as
	// a file written by another tool may be: each fall makes the writer
	// wait for the batches in flight.
	var lines []string
	want := map[string]string{}
	for i := range 3000 {
		j := (i * 7919) % 3000
		pk, rk := fmt.Sprintf("p%02d", j%30), fmt.Sprintf("r%04d", j)
		lines = append(lines, fmt.Sprintf(`{"PartitionKey":%q,"RowKey":%q,"V":%d}`, pk, rk, j))
		want[pk+"/"+rk] = fmt.Sprint(j)
	}
	dir := writeBackup(t, map[string][]string{table: lines})

	res, logs, err := runRestore(t, svc, restore.Options{Input: dir, Parallel: 16})
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, logs)
	}
	if got := res.Tables[0].Written; got != int64(len(lines)) {
		t.Errorf("Written = %d, want %d", got, len(lines))
	}
	got := wireEntities(t, srv, table)
	if len(got) != len(want) {
		t.Errorf("restored %d entities, want %d", len(got), len(want))
	}
	for key, value := range want {
		if got[key]["V"] != value {
			t.Errorf("%s: V = %s, want %s", key, got[key]["V"], value)
		}
	}
}

func TestRestoreParallelManyTables(t *testing.T) {
	files := map[string][]string{}
	for range 6 {
		table := uniqueName("Many")
		var lines []string
		for i := range 250 {
			lines = append(lines, fmt.Sprintf(`{"PartitionKey":"p%d","RowKey":"r%03d","N@odata.type":"Edm.Int64","N":"%d"}`, i%5, i, i))
		}
		files[table] = lines
	}
	dir := writeBackup(t, files)
	for _, parallel := range []int{1, 3, 32} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			target := freshServer(t)
			if _, logs, err := runRestore(t, connect(t, target, tables.Options{}), restore.Options{Input: dir, Parallel: parallel}); err != nil {
				t.Fatalf("restore: %v\n%s", err, logs)
			}
			for table, lines := range files {
				if got := len(wireEntities(t, target, table)); got != len(lines) {
					t.Errorf("%s: %d entities, want %d", table, got, len(lines))
				}
			}
		})
	}
}
