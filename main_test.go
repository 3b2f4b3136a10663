package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// binary is the command built once for the end-to-end tests, which run it
// as a user would.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "authagonal-tables-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "authagonal-tables")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build the binary:", err)
		os.Exit(1)
	}
	azurite.Main(m)
}

type result struct {
	code           int
	stdout, stderr string
}

// runBinary runs the binary with args and a clean environment plus env.
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	// Console logs keep the assertions on messages readable; a test can
	// ask for JSON with AUTHAGONAL_TABLES_LOG_FORMAT=json, since the last value wins.
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AUTHAGONAL_TABLES_LOG_FORMAT=console"}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
}

func seedTable(t *testing.T, table string, bodies ...string) {
	t.Helper()
	srv := azurite.Shared(t)
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	for _, body := range bodies {
		if err := srv.InsertRaw(context.Background(), table, []byte(body)); err != nil {
			t.Fatal(err)
		}
	}
}

// onlyBackup returns the one backup folder in out.
func onlyBackup(t *testing.T, out string) string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			dirs = append(dirs, filepath.Join(out, e.Name()))
		}
	}
	if len(dirs) != 1 {
		t.Fatalf("backup folders in %s: %v, want exactly one", out, dirs)
	}
	return dirs[0]
}

func TestCLIHelpAndVersion(t *testing.T) {
	r := runBinary(t, nil, "--version")
	wantCode(t, r, 0)
	if !strings.HasPrefix(r.stdout, "authagonal-tables version ") {
		t.Errorf("--version printed %q", r.stdout)
	}
	for _, cmd := range []string{"backup", "verify", "restore"} {
		r := runBinary(t, nil, cmd, "--help")
		wantCode(t, r, 0)
		for _, want := range []string{"EXAMPLES", "EXIT CODES", "130"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("%s --help lacks %q", cmd, want)
			}
		}
		if cmd != "verify" && !strings.Contains(r.stdout, "$STORAGE_CONNECTION_STRING") {
			t.Errorf("%s --help does not show the environment variable of --connection-string", cmd)
		}
	}
}

func TestCLIRejectsBadArguments(t *testing.T) {
	conn := "STORAGE_CONNECTION_STRING=" + azurite.Shared(t).ConnectionString()
	cases := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"unknown flag", []string{conn}, []string{"backup", "--no-such-flag"}, "no-such-flag"},
		{"unknown mode", []string{conn}, []string{"restore", "--input", "x", "--mode", "replace"}, `"replace": expected upsert, merge or clean`},
		{"missing input", []string{conn}, []string{"restore"}, "missing --input"},
		{"invalid table name", []string{conn}, []string{"backup", "--tables", "Users,1bad"}, `"1bad"`},
		{"table name too short", []string{conn}, []string{"backup", "--tables", "ab"}, `"ab"`},
		{"missing connection string", nil, []string{"backup"}, "STORAGE_CONNECTION_STRING"},
		{"malformed connection string", nil, []string{"backup", "--connection-string", "not a connection string"}, "invalid connection string"},
		{"bad log level", []string{conn}, []string{"--log-level", "loud", "backup"}, `"loud"`},
		{"bad log format", []string{conn}, []string{"--log-format", "xml", "backup"}, `"xml"`},
		{"verify without folder", nil, []string{"verify"}, "exactly one argument"},
		{"bad mode from environment", []string{conn, "RESTORE_MODE=replace"}, []string{"restore", "--input", "x"}, "$RESTORE_MODE"},
		{"bad level from environment", []string{"AUTHAGONAL_TABLES_LOG_LEVEL=loud"}, []string{"verify", "x"}, "$AUTHAGONAL_TABLES_LOG_LEVEL"},
		{"flag after verify folder", nil, []string{"verify", "x", "--json"}, "go before it"},
		{"verify of missing folder", nil, []string{"verify", "/nonexistent/backup"}, "does not exist"},
		{"unknown table in restore", []string{conn}, nil, "NotInBackup"},
		{"unknown table in backup", []string{conn}, []string{"backup", "--tables", "NoSuchTableHere", "--output", "OUT"}, "NoSuchTableHere"},
		{"overlap too small", []string{conn}, []string{"backup", "--incremental", "--overlap", "0s", "--output", "OUT"}, "invalid --overlap"},
		{"bad --at", []string{conn}, []string{"restore", "--input", "OUT", "--at", "yesterday"}, `invalid --at "yesterday"`},
		{"--at and --backup", []string{conn}, []string{"restore", "--input", "OUT", "--at", "2026-12-04T00:00:00Z", "--backup", "x"}, "give one of them"},
		{"--backup not found", []string{conn}, nil, "no backup 20990101-000000"},
		{"--at before every backup", []string{conn}, nil, "no backup in"},
		{"--at with one backup folder", []string{conn}, nil, "one backup folder"},
		{"list without folder", nil, []string{"list"}, "exactly one argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			out := t.TempDir()
			switch tc.name {
			case "unknown table in restore":
				args = []string{"restore", "--input", makeBackup(t), "--tables", "NotInBackup"}
			case "--backup not found":
				args = []string{"restore", "--input", filepath.Dir(makeBackup(t)), "--backup", "20990101-000000"}
			case "--at before every backup":
				args = []string{"restore", "--input", filepath.Dir(makeBackup(t)), "--at", "2000-01-01T00:00:00Z"}
			case "--at with one backup folder":
				args = []string{"restore", "--input", makeBackup(t), "--at", "2099-01-01T00:00:00Z"}
			}
			for i, a := range args {
				if a == "OUT" {
					args[i] = out
				}
			}
			r := runBinary(t, tc.env, args...)
			wantCode(t, r, 1)
			if !strings.Contains(r.stderr+r.stdout, tc.want) {
				t.Errorf("output lacks %q\nstdout:\n%s\nstderr:\n%s", tc.want, r.stdout, r.stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) > 0 {
				t.Errorf("a failed command wrote into the output folder: %v", entries)
			}
		})
	}
}

var backupSeq atomic.Int64

// makeBackup backs up a small table of its own through the binary and
// returns the backup folder.
func makeBackup(t *testing.T) string {
	t.Helper()
	table := fmt.Sprintf("Cli%d%d", os.Getpid()%1000, backupSeq.Add(1))
	seedTable(t, table, `{"PartitionKey":"p","RowKey":"r","V":"x"}`)
	out := t.TempDir()
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + azurite.Shared(t).ConnectionString()},
		"backup", "--tables", table, "--output", out)
	wantCode(t, r, 0)
	return onlyBackup(t, out)
}

func TestCLIBackupVerifyRestore(t *testing.T) {
	srv := azurite.Shared(t)
	seedTable(t, "CliUsers",
		`{"PartitionKey":"u1","RowKey":"profile","Email":"a@example.com","Count@odata.type":"Edm.Int64","Count":"9007199254740993"}`,
		`{"PartitionKey":"u2","RowKey":"profile","Email":"b@example.com","Score@odata.type":"Edm.Double","Score":5.0}`)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	out := t.TempDir()

	r := runBinary(t, []string{conn, "AUTHAGONAL_TABLES_LOG_FORMAT=json"}, "backup", "--tables", "CliUsers", "--output", out, "--gzip")
	wantCode(t, r, 0)
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line on stderr is not JSON: %s", line)
		}
	}
	dir := onlyBackup(t, out)
	if !strings.Contains(r.stdout, dir) {
		t.Errorf("backup stdout does not name the folder %s:\n%s", dir, r.stdout)
	}

	r = runBinary(t, nil, "verify", dir)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "OK: 1 table(s), 2 entities") {
		t.Errorf("verify stdout:\n%s", r.stdout)
	}

	r = runBinary(t, nil, "verify", "--json", dir)
	wantCode(t, r, 0)
	var report struct {
		Tables []struct {
			Entities int64 `json:"entities"`
		} `json:"tables"`
		Problems []any `json:"problems"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil {
		t.Fatalf("verify --json printed invalid JSON: %v\n%s", err, r.stdout)
	}
	if len(report.Tables) != 1 || report.Tables[0].Entities != 2 || len(report.Problems) != 0 {
		t.Errorf("verify --json report = %+v", report)
	}

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	r = runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + target.ConnectionString()}, "restore", "--input", dir)
	wantCode(t, r, 0)
	raw, err := target.RawEntities(context.Background(), "CliUsers")
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 2 {
		t.Fatalf("restored %d entities, want 2", len(raw))
	}
	if got := string(raw[0]["Count"]); got != `"9007199254740993"` {
		t.Errorf("Count on the wire = %s", got)
	}
	if got := string(raw[1]["Score"]); got != `5.0` {
		t.Errorf("Score on the wire = %s", got)
	}
}

func TestCLITamperedBackupFails(t *testing.T) {
	dir := makeBackup(t)
	entries, _ := os.ReadDir(dir)
	var data string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".jsonl") {
			data = filepath.Join(dir, e.Name())
		}
	}
	if err := os.WriteFile(data, []byte(`{"PartitionKey":"p","RowKey":"planted"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, nil, "verify", dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, filepath.Base(data)) || !strings.Contains(r.stdout, "SHA-256") {
		t.Errorf("verify does not name the file and the hash:\n%s", r.stdout)
	}

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	r = runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + target.ConnectionString()}, "restore", "--input", dir)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "SHA-256") {
		t.Errorf("restore does not list the problem on stdout:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "nothing was written") {
		t.Errorf("restore does not say that nothing was written:\n%s", r.stderr)
	}
	svc, _ := target.Service()
	names, _ := svc.ListTables(context.Background())
	if len(names) != 0 {
		t.Errorf("restore of a tampered backup created tables: %v", names)
	}
}

func TestCLIPartialRestoreExitsTwo(t *testing.T) {
	dir := makeBackup(t)
	// Replace the data with one good and one oversize entity, and fix the
	// manifest so that verification passes: the service must reject it.
	entries, _ := os.ReadDir(dir)
	var name string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".jsonl") && strings.Count(e.Name(), ".") == 1 {
			name = e.Name()
		}
	}
	lines := `{"PartitionKey":"p","RowKey":"good"}` + "\n" +
		`{"PartitionKey":"p","RowKey":"too-big","V":"` + strings.Repeat("z", 40000) + `"}` + "\n"
	rewriteData(t, dir, name, lines, 2)

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + target.ConnectionString()}, "restore", "--input", dir)
	wantCode(t, r, 2)
	for _, want := range []string{"too-big", "line 2", "PropertyValueTooLarge"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stderr, "too-big") {
		t.Errorf("stderr does not name the failed entity:\n%s", r.stderr)
	}
}

// rewriteData replaces a data file and updates its hash and count in the
// manifest, as an attacker or a bug might.
func rewriteData(t *testing.T, dir, name, content string, count int64) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "_manifest.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	hashes := m["FileHashes"].(map[string]any)
	hashes[name] = sha256Hex(content)
	for _, v := range m["Tables"].(map[string]any) {
		table := v.(map[string]any)
		table["EntityCount"] = count
		// The key set no longer matches the data, so it goes, as in a
		// backup taken before key sets were recorded.
		if keys, ok := table["KeysFile"].(string); ok {
			delete(hashes, keys)
			delete(table, "KeysFile")
			table["KeyCount"] = 0
			if err := os.Remove(filepath.Join(dir, keys)); err != nil {
				t.Fatal(err)
			}
		}
	}
	data, _ = json.Marshal(m)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCLIUnreachableServiceFails(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	const sig = "SIGNATUREdoNotLeak0123456789"
	conn := fmt.Sprintf("SharedAccessSignature=sv=2019-02-02&ss=t&sig=%s;TableEndpoint=http://127.0.0.1:%d/devstoreaccount1", sig, port)
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + conn}, "backup", "--max-retries", "1", "--retry-delay", "10ms", "--output", t.TempDir())
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "unreachable") {
		t.Errorf("stderr does not say the service is unreachable:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, sig) {
		t.Errorf("the SAS signature appears in the output:\n%s\n%s", r.stdout, r.stderr)
	}
}

func TestCLINeverPrintsAccountKey(t *testing.T) {
	srv := azurite.Shared(t)
	dir := makeBackup(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	badKey := "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + tables.DevAccountKey[:20] + "!!;TableEndpoint=" + srv.Endpoint
	runs := [][]string{
		{"backup", "--tables", "CliUsers,NoSuchTable", "--output", t.TempDir()},
		{"backup", "--dry-run", "--tables", "CliUsers"},
		{"--log-level", "debug", "restore", "--input", dir, "--dry-run"},
		{"restore", "--input", dir, "--mode", "bogus"},
	}
	for _, args := range runs {
		r := runBinary(t, []string{conn}, args...)
		if strings.Contains(r.stdout+r.stderr, tables.DevAccountKey) {
			t.Errorf("%v printed the account key", args)
		}
	}
	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + badKey}, "backup")
	wantCode(t, r, 1)
	if strings.Contains(r.stdout+r.stderr, tables.DevAccountKey[:20]) {
		t.Errorf("a malformed key was echoed:\n%s", r.stderr)
	}
}

func TestCLIInterruptedBackupLeavesNothing(t *testing.T) {
	srv := azurite.Shared(t)
	const table = "CliInterrupt"
	// 10,000 entities: enough pages that the backup is still running when
	// the signal arrives.
	seedPartitions(t, table, 100, strings.Repeat("v", 200))

	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		out := t.TempDir()
		cmd := exec.Command(binary, "--log-format", "console", "--log-level", "debug", "backup", "--tables", table, "--output", out)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()}
		signalAfter(t, cmd, "page written", sig)
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			// The lock file stays by design: removing it while another
			// process may be opening it would break the lock.
			if e.Name() == backup.LockFile {
				continue
			}
			t.Errorf("left behind after %v: %s", sig, e.Name())
		}
	}
}

func TestCLIInterruptedRestoreCompletesOnRerun(t *testing.T) {
	srv := azurite.Shared(t)
	const table = "CliResume"
	seedPartitions(t, table, 120, "x")
	out := t.TempDir()
	wantCode(t, runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + srv.ConnectionString()}, "backup", "--tables", table, "--output", out), 0)
	dir := onlyBackup(t, out)

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	cmd := exec.Command(binary, "--log-format", "console", "--log-level", "debug", "restore", "--input", dir)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "STORAGE_CONNECTION_STRING=" + target.ConnectionString()}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	interruptAfter(t, cmd, "batch written")
	if !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("stdout does not say the restore was interrupted:\n%s", stdout.String())
	}
	// Batches in flight finish after the signal, so the printed count is
	// exactly what the table holds.
	written := -1
	for _, line := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) == 5 && f[0] == table {
			written, _ = strconv.Atoi(f[1])
		}
	}
	partial, err := target.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	if written != len(partial) || written == 12000 {
		t.Errorf("after the interruption the summary says %d written, and the table holds %d of 12000\n%s", written, len(partial), stdout.String())
	}

	r := runBinary(t, []string{"STORAGE_CONNECTION_STRING=" + target.ConnectionString()}, "restore", "--input", dir)
	wantCode(t, r, 0)
	raw, err := target.RawEntities(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) != 12000 {
		t.Errorf("after the rerun the table holds %d entities, want 12000", len(raw))
	}
}

// seedPartitions creates table with partitions of 100 entities each, every
// entity holding value.
func seedPartitions(t *testing.T, table string, partitions int, value string) {
	t.Helper()
	svc, err := azurite.Shared(t).Service()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.CreateTable(context.Background(), table); err != nil {
		t.Fatal(err)
	}
	for p := 0; p < partitions; p++ {
		b := tables.NewBatch(table)
		for r := 0; r < 100; r++ {
			e, err := entity.Parse([]byte(fmt.Sprintf(`{"PartitionKey":"p%03d","RowKey":"r%03d","V":%q}`, p, r, value)))
			if err != nil {
				t.Fatal(err)
			}
			b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
		}
		if err := svc.SubmitBatch(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
}

// interruptAfter starts cmd, sends SIGINT once a stderr line contains
// marker, and checks that the command exits 130.
func interruptAfter(t *testing.T, cmd *exec.Cmd, marker string) {
	t.Helper()
	signalAfter(t, cmd, marker, os.Interrupt)
}

// signalAfter starts cmd, sends sig once a stderr line contains marker,
// and checks that the command exits 130.
func signalAfter(t *testing.T, cmd *exec.Cmd, marker string, sig os.Signal) {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	scanner := bufio.NewScanner(stderr)
	for scanner.Scan() {
		logs.WriteString(scanner.Text() + "\n")
		if strings.Contains(scanner.Text(), marker) {
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	rest, _ := io.ReadAll(stderr)
	logs.Write(rest)
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("exit = %v, want code 130\n%s", err, logs.String())
	}
}

func TestCLIIncrementalListVerifyRestore(t *testing.T) {
	srv := azurite.Shared(t)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	table := fmt.Sprintf("CliChain%d", os.Getpid()%1000)
	seedTable(t, table, `{"PartitionKey":"p","RowKey":"1","V":"one"}`, `{"PartitionKey":"p","RowKey":"2","V":"two"}`)
	out := t.TempDir()

	// BACKUP_OVERLAP, set for the hourly incrementals, must not break the
	// daily full backup run in the same environment.
	r := runBinary(t, []string{conn, "BACKUP_OVERLAP=10m"}, "backup", "--tables", table, "--output", out, "--gzip")
	wantCode(t, r, 0)
	if !strings.Contains(r.stderr, "ignored for this full backup") {
		t.Errorf("no note that --overlap is ignored:\n%s", r.stderr)
	}
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	b := tables.NewBatch(table)
	b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Delete, Entity: &entity.Entity{PartitionKey: "p", RowKey: "1"}})
	if err := svc.SubmitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, []string{conn}, "backup", "--incremental", "--tables", table, "--output", out, "--gzip")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Incremental backup (after ") {
		t.Errorf("backup summary does not name the parent:\n%s", r.stdout)
	}
	// A temporary folder left by a killed backup is listed as incomplete.
	// Its name sorts after the backups whatever the date of the test run.
	if err := os.Mkdir(filepath.Join(out, ".tmp-29991231-235959-abcdef"), 0o700); err != nil {
		t.Fatal(err)
	}

	r = runBinary(t, nil, "list", out)
	wantCode(t, r, 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 4 || !strings.Contains(lines[1], "full") || !strings.Contains(lines[2], "incremental") || !strings.HasSuffix(lines[3], "incomplete") {
		t.Errorf("list output:\n%s", r.stdout)
	}
	r = runBinary(t, nil, "list", "--json", out)
	wantCode(t, r, 0)
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 3 || rows[1]["deleted"] != float64(1) {
		t.Errorf("list --json: %v\n%s", err, r.stdout)
	}

	r = runBinary(t, nil, "verify", out)
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "OK: 2 backup(s)") {
		t.Errorf("verify of the folder:\n%s", r.stdout)
	}

	target, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer target.Stop()
	tconn := "STORAGE_CONNECTION_STRING=" + target.ConnectionString()
	r = runBinary(t, []string{tconn}, "restore", "--input", out, "--dry-run")
	wantCode(t, r, 0)
	if !strings.Contains(r.stdout, "Backups applied, in order:") {
		t.Errorf("dry run does not print the chain:\n%s", r.stdout)
	}
	wantCode(t, runBinary(t, []string{tconn}, "restore", "--input", out), 0)
	got, err := target.RawEntities(context.Background(), table)
	if err != nil || len(got) != 1 {
		t.Fatalf("restored %d entities (%v), want 1", len(got), err)
	}

	// Clean with one incremental folder would wipe what did not change.
	var full, incr *manifest.Entry
	entries, _ := manifest.Scan(out)
	for _, e := range entries {
		switch {
		case e.Status != manifest.Complete:
		case e.Manifest.Mode == manifest.ModeIncremental:
			incr = e
		default:
			full = e
		}
	}
	r = runBinary(t, []string{tconn}, "restore", "--input", incr.Dir, "--mode", "clean")
	wantCode(t, r, 1)
	if got, _ := target.RawEntities(context.Background(), table); len(got) != 1 {
		t.Errorf("a rejected clean restore changed the table: %d entities", len(got))
	}

	// A missing parent fails verify of the folder and the restore.
	if err := os.RemoveAll(full.Dir); err != nil {
		t.Fatal(err)
	}
	r = runBinary(t, nil, "verify", out)
	wantCode(t, r, 1)
	if !strings.Contains(r.stdout, "parent backup "+full.Name+" is missing") {
		t.Errorf("verify does not report the missing parent:\n%s", r.stdout)
	}
	wantCode(t, runBinary(t, []string{tconn}, "restore", "--input", out), 1)
}
