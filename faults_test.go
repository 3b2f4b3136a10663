package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/faultproxy"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// fastRetries keeps the retry budget of the fault tests short. Random
// faults clear within a few retries. A table faulted on every request uses
// up its budget in well under a second, unless a Slow fault holds a try
// for the whole try timeout.
var fastRetries = []string{"--max-retries", "10", "--retry-delay", "5ms", "--max-retry-delay", "40ms", "--try-timeout", "1s"}

// lockedBuffer is a buffer that concurrent loggers may write to, as they
// may to the stderr of a process.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runCLI runs the command in-process through run, as main does.
func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr lockedBuffer
	code := run(context.Background(), append([]string{"authagonal-tables", "--log-format", "console"}, args...), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// proxyConnection returns a connection string for the development account
// through endpoint, such as a fault proxy's.
func proxyConnection(endpoint string) string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;TableEndpoint=%s",
		tables.DevAccountName, tables.DevAccountKey, endpoint)
}

func startProxy(t *testing.T, upstream string, rule faultproxy.Rule) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.Start(upstream, rule)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func startAzurite(t *testing.T) *azurite.Server {
	t.Helper()
	srv, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}

// partitionAlphabet spreads the partition keys of seedTyped over the
// key ranges that a backup splits a large table into.
const partitionAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz~"

func partitionKey(p int) string {
	return fmt.Sprintf("%c%03d", partitionAlphabet[p*7%len(partitionAlphabet)], p)
}

// seedTyped fills table in the shared Azurite with partitions of rows
// entities each, with a property of every common EDM type.
func seedTyped(t *testing.T, table string, partitions, rows int) {
	t.Helper()
	svc, err := azurite.Shared(t).Service()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.CreateTable(ctx, table); err != nil {
		t.Fatal(err)
	}
	for p := 0; p < partitions; p++ {
		b := tables.NewBatch(table)
		for r := 0; r < rows; r++ {
			line := fmt.Sprintf(`{"PartitionKey":"%s","RowKey":"r%03d","Name":"entity %d/%d é","Count@odata.type":"Edm.Int64","Count":"%d",`+
				`"Score@odata.type":"Edm.Double","Score":%d.25,"On":%t,"At@odata.type":"Edm.DateTime","At":"2026-12-04T02:%02d:00.1234567Z",`+
				`"Id@odata.type":"Edm.Guid","Id":"00000000-0000-0000-0000-%012d","Raw@odata.type":"Edm.Binary","Raw":"AAEC/w=="}`,
				partitionKey(p), r, p, r, int64(p)<<40+int64(r), r, r%2 == 0, r%60, p*1000+r)
			e, err := entity.Parse([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
		}
		if err := svc.SubmitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
}

// dataLines returns the lines of a data file of a backup, decompressed.
func dataLines(t *testing.T, dir, name string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		var plain bytes.Buffer
		if _, err := plain.ReadFrom(zr); err != nil {
			t.Fatalf("decompress %s: %v", name, err)
		}
		raw = plain.Bytes()
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 8<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// compareBackups checks that two backups hold the same lines in every
// data and key file of every table.
func compareBackups(t *testing.T, wantDir, gotDir string) {
	t.Helper()
	want, err := manifest.Read(wantDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := manifest.Read(gotDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Tables) != len(want.Tables) {
		t.Errorf("%d tables, want %d", len(got.Tables), len(want.Tables))
	}
	for name, wt := range want.Tables {
		gt, ok := got.Tables[name]
		if !ok {
			t.Errorf("table %s missing from the backup taken through faults", name)
			continue
		}
		for _, files := range [][2]string{{wt.File, gt.File}, {wt.KeysFile, gt.KeysFile}} {
			a, b := dataLines(t, wantDir, files[0]), dataLines(t, gotDir, files[1])
			if len(a) != len(b) {
				t.Errorf("%s: %d lines, want %d", files[1], len(b), len(a))
				continue
			}
			for i := range a {
				if a[i] != b[i] {
					t.Errorf("%s line %d:\n got %.200s\nwant %.200s", files[1], i+1, b[i], a[i])
					break
				}
			}
		}
	}
}

// wire reads table from srv with plain HTTP and returns each entity's
// properties as the service sent them, keyed "PartitionKey/RowKey",
// without Timestamp and the OData control properties, which the service
// sets itself.
func wire(t *testing.T, srv *azurite.Server, table string) map[string]map[string]string {
	t.Helper()
	raw, err := srv.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, e := range raw {
		props := map[string]string{}
		for name, value := range e {
			if !strings.HasPrefix(name, "odata.") && !strings.HasPrefix(name, "Timestamp") {
				props[name] = string(value)
			}
		}
		var pk, rk string
		_ = json.Unmarshal(e["PartitionKey"], &pk)
		_ = json.Unmarshal(e["RowKey"], &rk)
		out[pk+"/"+rk] = props
	}
	return out
}

// sameOnWire checks that table holds the same entities, property by
// property, in both servers.
func sameOnWire(t *testing.T, source, target *azurite.Server, table string) {
	t.Helper()
	want, got := wire(t, source, table), wire(t, target, table)
	if len(got) != len(want) {
		t.Errorf("table %s: %d entities restored, want %d", table, len(got), len(want))
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	differences := 0
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("table %s: entity %s missing", table, k)
			differences++
		} else if a, b := fmt.Sprint(want[k]), fmt.Sprint(g); a != b {
			t.Errorf("table %s: entity %s\n got %.300s\nwant %.300s", table, k, b, a)
			differences++
		}
		if differences == 5 {
			t.Fatalf("table %s: stopping after 5 differences", table)
		}
	}
}

func faultTotal(p *faultproxy.Proxy) (int, string) {
	total := 0
	var parts []string
	for _, k := range faultproxy.AllKinds {
		n := p.Counts()[k]
		total += n
		parts = append(parts, fmt.Sprintf("%s=%d", k, n))
	}
	return total, strings.Join(parts, " ")
}

func TestFaultsRandomBackupAndRestore(t *testing.T) {
	srv := azurite.Shared(t)
	names := []string{"FaultMixA", "FaultMixB", "FaultMixC", "FaultMixD", "FaultMixE"}
	for _, name := range names {
		// 2,000 entities: two pages, so the backup also scans about ten
		// key ranges, and 100 partitions, so the restore sends 100
		// batches.
		seedTyped(t, name, 100, 20)
	}
	list := strings.Join(names, ",")

	clean := t.TempDir()
	r := runCLI(t, "backup", "--connection-string", srv.ConnectionString(), "--tables", list, "--gzip", "--output", clean)
	wantCode(t, r, 0)

	rule := faultproxy.Rule{Kinds: faultproxy.AllKinds, Percent: 5, Seed: 5, SlowDelay: 10 * time.Second}
	proxy := startProxy(t, srv.Endpoint, rule)
	faulty := t.TempDir()
	args := append([]string{"backup", "--connection-string", proxyConnection(proxy.Endpoint), "--tables", list, "--gzip", "--output", faulty}, fastRetries...)
	r = runCLI(t, args...)
	wantCode(t, r, 0)
	total, kinds := faultTotal(proxy)
	t.Logf("backup: %d faults in %d requests: %s", total, proxy.Requests(), kinds)
	if total == 0 {
		t.Fatal("the proxy injected no fault into the backup")
	}
	compareBackups(t, onlyBackup(t, clean), onlyBackup(t, faulty))

	target := startAzurite(t)
	rule.Seed = 6
	proxy = startProxy(t, target.Endpoint, rule)
	args = append([]string{"restore", "--connection-string", proxyConnection(proxy.Endpoint), "--input", onlyBackup(t, faulty)}, fastRetries...)
	r = runCLI(t, args...)
	wantCode(t, r, 0)
	total, kinds = faultTotal(proxy)
	t.Logf("restore: %d faults in %d requests: %s", total, proxy.Requests(), kinds)
	if total == 0 {
		t.Fatal("the proxy injected no fault into the restore")
	}
	for _, name := range names {
		sameOnWire(t, srv, target, name)
	}
}

func TestFaultsOneTableBeyondRetries(t *testing.T) {
	srv := azurite.Shared(t)
	const good, bad = "FaultGood", "FaultBad"
	seedTyped(t, good, 10, 10)
	seedTyped(t, bad, 10, 10)
	list := good + "," + bad
	// Two retries keep the budget short although a Slow fault holds each
	// of its tries for the whole try timeout.
	retries := []string{"--max-retries", "2", "--retry-delay", "5ms", "--max-retry-delay", "20ms", "--try-timeout", "1s"}
	rule := faultproxy.Rule{Kinds: faultproxy.AllKinds, Table: bad, Seed: 1, SlowDelay: 10 * time.Second}

	t.Run("backup", func(t *testing.T) {
		proxy := startProxy(t, srv.Endpoint, rule)
		out := t.TempDir()
		args := append([]string{"backup", "--connection-string", proxyConnection(proxy.Endpoint), "--tables", list, "--output", out}, retries...)
		r := runCLI(t, args...)
		wantCode(t, r, 1)
		for _, want := range []string{bad, "no backup was written", "run the backup again"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not contain %q:\n%s", want, r.stderr)
			}
		}
		entries, err := manifest.Scan(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("left behind after the failed backup: %s (%s)", e.Name, e.Status)
		}
		r = runCLI(t, "list", out)
		if strings.Contains(r.stdout, "complete") {
			t.Errorf("list shows a complete backup after the failed one:\n%s", r.stdout)
		}

		proxy.SetRule(faultproxy.Rule{})
		r = runCLI(t, args...)
		wantCode(t, r, 0)
		r = runCLI(t, "verify", onlyBackup(t, out))
		wantCode(t, r, 0)
	})

	t.Run("restore", func(t *testing.T) {
		input := t.TempDir()
		wantCode(t, runCLI(t, "backup", "--connection-string", srv.ConnectionString(), "--tables", list, "--output", input), 0)
		target := startAzurite(t)
		proxy := startProxy(t, target.Endpoint, rule)
		args := append([]string{"restore", "--connection-string", proxyConnection(proxy.Endpoint), "--input", onlyBackup(t, input)}, retries...)
		r := runCLI(t, args...)
		wantCode(t, r, 2)
		if !strings.Contains(r.stdout, "NOT WRITTEN: 100 entities") {
			t.Errorf("stdout does not say that the 100 entities of %s were not written:\n%s", bad, r.stdout)
		}
		for p := 0; p < 10; p++ {
			for row := 0; row < 10; row++ {
				key := fmt.Sprintf("PartitionKey %q, RowKey %q", partitionKey(p), fmt.Sprintf("r%03d", row))
				if !strings.Contains(r.stdout, key) {
					t.Fatalf("stdout does not name the entity %s:\n%s", key, r.stdout)
				}
			}
		}
		sameOnWire(t, srv, target, good)

		proxy.SetRule(faultproxy.Rule{})
		r = runCLI(t, args...)
		wantCode(t, r, 0)
		sameOnWire(t, srv, target, good)
		sameOnWire(t, srv, target, bad)
	})
}
