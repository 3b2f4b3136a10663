package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/sampledata"
	"github.com/authagonal/authagonal-tables/tables"
)

// fakeToolEnv makes the test binary act as a stand-in for authagonal-tables,
// so that the demo's steps are tested without building the real CLI. Its
// value "drop" makes the fake backup leave out one entity.
const fakeToolEnv = "DEMO_TEST_FAKE_TOOL"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeToolEnv); mode != "" {
		if err := fakeTool(os.Args[1:], mode == "drop"); err != nil {
			fmt.Fprintf(os.Stderr, "fake tool: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRunIdentical(t *testing.T) {
	t.Setenv(fakeToolEnv, "exact")
	var out bytes.Buffer

	identical, err := run(context.Background(), options{bin: os.Args[0], users: 20, seed: 3}, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if !identical {
		t.Errorf("run reported differences:\n%s", out.String())
	}
	if !strings.HasSuffix(out.String(), "\nidentical\n") {
		t.Errorf("summary does not end with \"identical\":\n%s", out.String())
	}
	for _, table := range comparedTables(false) {
		if !strings.Contains(out.String(), table+" ") {
			t.Errorf("summary has no line for table %s", table)
		}
	}
}

func TestRunReportsDifference(t *testing.T) {
	t.Setenv(fakeToolEnv, "drop")
	var out bytes.Buffer

	identical, err := run(context.Background(), options{bin: os.Args[0], users: 20, seed: 3}, &out)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if identical {
		t.Error("run reported identical accounts after a backup that left out an entity")
	}
	if !strings.Contains(out.String(), "1 differences:") || !strings.Contains(out.String(), "entity not found in B") {
		t.Errorf("summary does not list the missing entity:\n%s", out.String())
	}
}

func TestRunFailedStep(t *testing.T) {
	// A binary that fails every command but keygen.
	bin := filepath.Join(t.TempDir(), "failing-tool")
	script := "#!/bin/sh\nif [ \"$1\" = keygen ]; then echo age1fake; exit 0; fi\nexit 3\n"
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}

	_, err := run(context.Background(), options{bin: bin, users: 5, seed: 3}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "backup failed") {
		t.Errorf("run error = %v, expected the backup step to fail", err)
	}
}

func TestFindBackupFolder(t *testing.T) {
	output := t.TempDir()
	if _, err := findBackupFolder(output); err == nil {
		t.Error("findBackupFolder accepted an empty output folder")
	}

	want := filepath.Join(output, "20260329T120000Z")
	if err := os.Mkdir(want, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(output, "stray.log"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := findBackupFolder(output)
	if err != nil || got != want {
		t.Errorf("findBackupFolder = %q, %v, expected %q", got, err, want)
	}

	if err := os.Mkdir(filepath.Join(output, "second"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := findBackupFolder(output); err == nil {
		t.Error("findBackupFolder accepted two folders")
	}
}

func TestFolderSize(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 23), 0o600); err != nil {
		t.Fatal(err)
	}

	n, err := folderSize(dir)
	if err != nil || n != 123 {
		t.Errorf("folderSize = %d, %v, expected 123", n, err)
	}
}

func TestBackupArgs(t *testing.T) {
	k := demoKeys{recipient: "age1abc", signKey: "/keys/signing.key"}
	defaultSet := strings.Join(backupArgs(options{defaultSet: true}, "UseDevelopmentStorage=true", "/tmp/out", k), " ")
	want := "backup --connection-string UseDevelopmentStorage=true --output /tmp/out --gzip --include-signing-keys" +
		" --require-encryption --encrypt-to age1abc --sign-key /keys/signing.key"
	if defaultSet != want {
		t.Errorf("backupArgs with defaultSet\n got %s\nwant %s", defaultSet, want)
	}

	all := strings.Join(backupArgs(options{}, "UseDevelopmentStorage=true", "/tmp/out", k), " ")
	if !strings.HasSuffix(all, " --tables "+strings.Join(sampledata.Tables(), ",")) {
		t.Errorf("backupArgs does not name every seeded table: %s", all)
	}
	if !strings.Contains(all, ",EdmTypes") {
		t.Errorf("backupArgs leaves out EdmTypes: %s", all)
	}
}

func TestRedactArgs(t *testing.T) {
	got := redactArgs([]string{"restore", "--connection-string", "AccountKey=secret", "--input", "/tmp/b"})
	if strings.Contains(got, "secret") {
		t.Errorf("redactArgs kept the connection string: %s", got)
	}
	if !strings.Contains(got, "--input /tmp/b") {
		t.Errorf("redactArgs dropped other arguments: %s", got)
	}
}

// fakeTool implements the three commands the demo runs, with the flags of
// the real CLI, in the simplest way: one plain JSON Lines file per table.
func fakeTool(args []string, drop bool) error {
	if len(args) == 0 {
		return errors.New("missing command")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	connection := fs.String("connection-string", "", "")
	output := fs.String("output", "", "")
	input := fs.String("input", "", "")
	tableList := fs.String("tables", "", "")
	fs.Bool("gzip", false, "")
	fs.Bool("include-signing-keys", false, "")
	incremental := fs.Bool("incremental", false, "")
	fs.String("overlap", "", "")
	fs.String("encrypt-to", "", "")
	fs.String("sign-key", "", "")
	fs.Bool("require-encryption", false, "")
	fs.String("identity", "", "")
	fs.String("verify-key", "", "")
	encryption := fs.String("encryption", "", "")
	signing := fs.String("signing", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}

	ctx := context.Background()
	switch args[0] {
	case "keygen":
		if *encryption != "" {
			fmt.Println("age1fake")
			return os.WriteFile(*encryption, []byte("AGE-SECRET-KEY-1FAKE\n"), 0o600)
		}
		return os.WriteFile(*signing+".key", nil, 0o600)
	case "backup":
		svc, err := connect(*connection)
		if err != nil {
			return err
		}
		names := comparedTables(false)
		if *tableList != "" {
			names = strings.Split(*tableList, ",")
		}
		// The fake incremental is a whole copy, which a restore of the
		// newest folder alone turns into the same state as a chain.
		dir := filepath.Join(*output, "backup")
		if *incremental {
			dir += "-incr"
		}
		return fakeBackup(ctx, svc, dir, names, drop)
	case "verify":
		_, err := os.Stat(filepath.Join(fs.Arg(0), "backup-incr", "Users.jsonl"))
		return err
	case "list":
		return nil
	case "restore":
		svc, err := connect(*connection)
		if err != nil {
			return err
		}
		return fakeRestore(ctx, svc, filepath.Join(*input, "backup-incr"))
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func connect(connectionString string) (*tables.Service, error) {
	account, err := tables.ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	return tables.Connect(account, tables.Options{})
}

func fakeBackup(ctx context.Context, svc *tables.Service, dir string, names []string, drop bool) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	for _, table := range names {
		var buf []byte
		err := svc.Query(ctx, table, tables.Query{}, func(p tables.Page) error {
			for _, e := range p.Entities {
				buf = append(e.AppendLine(buf), '\n')
			}
			return nil
		})
		if err != nil {
			return err
		}
		if drop && table == "Users" {
			buf = buf[bytes.IndexByte(buf, '\n')+1:]
		}
		if err := os.WriteFile(filepath.Join(dir, table+".jsonl"), buf, 0o600); err != nil {
			return err
		}
	}
	return nil
}

func fakeRestore(ctx context.Context, svc *tables.Service, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return err
	}
	set := make(map[string][]*entity.Entity)
	for _, file := range files {
		table := strings.TrimSuffix(filepath.Base(file), ".jsonl")
		set[table] = nil // Write creates every table named in set, even an empty one.
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		scanner := bufio.NewScanner(f)
		scanner.Buffer(nil, 4<<20)
		for scanner.Scan() {
			e, err := entity.Parse(scanner.Bytes())
			if err != nil {
				f.Close()
				return err
			}
			set[table] = append(set[table], e)
		}
		f.Close()
		if err := scanner.Err(); err != nil {
			return err
		}
	}
	_, err = sampledata.Write(ctx, svc, set)
	return err
}
