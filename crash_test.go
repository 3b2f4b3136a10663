package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/crashpoint"
	"github.com/authagonal/authagonal-tables/manifest"
)

// TestCLIKilledBackupNeverLooksComplete kills backups with SIGKILL at 20
// moments: 14 at random times across a backup's run, which land in the
// listing, mid-file and between files, and 6 at named points that a random
// time almost never hits, such as between writing the manifest and
// renaming the folder. After each kill no new folder may pass verify,
// .lastbackup must be unchanged, and the next backup must succeed.
func TestCLIKilledBackupNeverLooksComplete(t *testing.T) {
	srv := azurite.Shared(t)
	// Two pages in CrashA, so its backup scans key ranges in parallel and
	// writes part files.
	seedPartitions(t, "CrashA", 30, strings.Repeat("a", 100))
	seedPartitions(t, "CrashB", 2, "b")
	seedTable(t, "CrashC", `{"PartitionKey":"c","RowKey":"1"}`)
	conn := "STORAGE_CONNECTION_STRING=" + srv.ConnectionString()
	out := t.TempDir()
	args := []string{"--log-format", "json", "--log-level", "debug", "backup", "--tables", "CrashA,CrashB,CrashC", "--output", out, "--gzip"}

	incrArgs := append(append([]string{}, args...), "--incremental", "--overlap", "1s")
	wantCode(t, runBinary(t, []string{conn}, args...), 0)
	// A backup is too quick here for kills at random times to land
	// inside it, so each kill comes right after a random log line of the
	// run: the listing, each page written, each table finished. The
	// second runs count the lines of a full and an incremental backup.
	var lines [2]int
	for i, a := range [][]string{args, incrArgs} {
		r := runBinary(t, []string{conn}, a...)
		wantCode(t, r, 0)
		lines[i] = strings.Count(r.stderr, "\n")
	}

	rng := rand.New(rand.NewPCG(20261204, 1))
	type moment struct {
		line  int
		point string
	}
	var moments []moment
	for i := range 14 {
		moments = append(moments, moment{line: 1 + rng.IntN(lines[i%2])})
	}
	for _, p := range []string{"planned", "table-done", "before-rename:" + manifest.FileName, "manifest-written", "before-rename", "renamed"} {
		moments = append(moments, moment{point: p})
	}

	for i, m := range moments {
		incremental := i%2 == 1
		runArgs := args
		if incremental {
			runArgs = incrArgs
		}
		marks := readFile(t, filepath.Join(out, backup.MarksFile))
		before := completeBackups(t, out)

		cmd := exec.Command(binary, runArgs...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), conn}
		if m.point != "" {
			cmd.Env = append(cmd.Env, crashpoint.Env+"="+m.point)
		}
		pipe, err := cmd.StderrPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		scanner := bufio.NewScanner(pipe)
		for n := 1; scanner.Scan(); n++ {
			stderr.WriteString(scanner.Text() + "\n")
			if n == m.line {
				_ = cmd.Process.Signal(syscall.SIGKILL)
				var entry struct{ Message string }
				_ = json.Unmarshal(scanner.Bytes(), &entry)
				t.Logf("moment %d: killed after %q", i+1, entry.Message)
			}
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		killed := errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled()
		what := m.point
		if what == "" {
			what = fmt.Sprintf("after log line %d", m.line)
		}

		switch {
		case !killed && err == nil:
			// The backup finished before the kill: nothing to check.
			t.Logf("moment %d (%s): the backup finished first", i+1, what)
		case !killed:
			t.Fatalf("moment %d (%s): backup failed without being killed: %v\n%s", i+1, what, err, stderr.String())
		default:
			after := completeBackups(t, out)
			added := newNames(before, after)
			// A kill after the rename leaves a backup that is complete in
			// every file. Only the marks did not move, so the next
			// incremental copies more than it needs to. Before the rename
			// nothing may look complete.
			if m.point == "renamed" && len(added) != 1 {
				t.Errorf("moment %d (%s): new complete backups %v, want exactly one", i+1, what, added)
			}
			if m.point != "renamed" && m.point != "" && len(added) > 0 {
				t.Errorf("moment %d (%s): the killed backup left complete-looking folders %v", i+1, what, added)
			}
			for _, name := range added {
				if r := runBinary(t, nil, "verify", filepath.Join(out, name)); r.code != 0 {
					t.Errorf("moment %d (%s): the killed backup left %s, which looks complete but fails verify:\n%s", i+1, what, name, r.stdout)
				}
			}
			if got := readFile(t, filepath.Join(out, backup.MarksFile)); !bytes.Equal(got, marks) {
				t.Errorf("moment %d (%s): .lastbackup changed", i+1, what)
			}
			for _, dir := range tempFolders(t, out) {
				if r := runBinary(t, nil, "verify", dir); r.code == 0 {
					t.Errorf("moment %d (%s): verify accepts the temporary folder %s", i+1, what, dir)
				}
			}
		}
		// The next backup goes on as if nothing happened.
		r := runBinary(t, []string{conn}, runArgs...)
		wantCode(t, r, 0)
	}
	r := runBinary(t, nil, "verify", out)
	wantCode(t, r, 0)
	r = runBinary(t, nil, "list", out)
	wantCode(t, r, 0)
	if len(tempFolders(t, out)) > 0 && !strings.Contains(r.stdout, "incomplete") {
		t.Errorf("list does not report the temporary folders:\n%s", r.stdout)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// completeBackups returns the names of the complete backups in out.
func completeBackups(t *testing.T, out string) map[string]bool {
	t.Helper()
	entries, err := manifest.Scan(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		if e.Status == manifest.Complete {
			names[e.Name] = true
		}
	}
	return names
}

func newNames(before, after map[string]bool) []string {
	var added []string
	for name := range after {
		if !before[name] {
			added = append(added, name)
		}
	}
	return added
}

func tempFolders(t *testing.T, out string) []string {
	t.Helper()
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), manifest.TempPrefix) {
			dirs = append(dirs, filepath.Join(out, e.Name()))
		}
	}
	return dirs
}
