package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// completions returns the candidates printed for the words, without their
// descriptions.
func completions(t *testing.T, words ...string) []string {
	t.Helper()
	r := runInProcess(append(words, completionFlag)...)
	wantCode(t, r, 0)
	var candidates []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line != "" {
			candidate, _, _ := strings.Cut(line, "\t")
			candidates = append(candidates, candidate)
		}
	}
	return candidates
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestCompletionScriptsParse(t *testing.T) {
	syntaxCheck := map[string][]string{"bash": {"-n"}, "zsh": {"-n"}, "fish": {"--no-execute"}}
	for _, shell := range shells {
		t.Run(shell, func(t *testing.T) {
			r := runInProcess("completion", shell)
			wantCode(t, r, 0)
			if !strings.Contains(r.stdout, completionFlag) {
				t.Errorf("the %s script does not call %s", shell, completionFlag)
			}
			// The shells are not required to run the tests: CI images
			// often lack zsh and fish, so only the syntax check is
			// skipped, and only for a shell that is not installed.
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Skipf("%s is not installed, so the syntax of its script is not checked", shell)
			}
			file := filepath.Join(t.TempDir(), "completion."+shell)
			if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(path, append(syntaxCheck[shell], file)...).CombinedOutput()
			if err != nil {
				t.Errorf("%s rejects its completion script: %v\n%s", shell, err, out)
			}
		})
	}
}

func TestCompletionUnknownShell(t *testing.T) {
	r := runInProcess("completion", "powershell")
	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "unknown shell") || !strings.Contains(r.stderr, "powershell") {
		t.Errorf("stderr does not name the unknown shell:\n%s", r.stderr)
	}
}

func TestCompletionListsBackupFlags(t *testing.T) {
	got := completions(t, "backup", "--")
	for _, f := range backupCommand(&environment{}).Flags {
		if !contains(got, "--"+f.Names()[0]) {
			t.Errorf("backup -- does not offer --%s; got %v", f.Names()[0], got)
		}
	}
	if !contains(got, "--help") {
		t.Errorf("backup -- does not offer --help; got %v", got)
	}
	if contains(got, "--log-level") {
		t.Errorf("backup -- offers the global option --log-level, which goes before the command")
	}
}

func TestCompletionCandidates(t *testing.T) {
	cases := []struct {
		name    string
		words   []string
		want    []string
		notWant []string
	}{
		{"commands", []string{""}, []string{"backup", "verify", "restore", "list", "keygen", "completion", "man", "help"}, nil},
		{"command prefix", []string{"re"}, []string{"restore"}, []string{"backup", "verify"}},
		{"global flags", []string{"--"}, []string{"--log-level", "--log-format", "--help", "--version"}, []string{"--output"}},
		{"flag prefix", []string{"backup", "--in"}, []string{"--incremental", "--include-signing-keys"}, []string{"--output"}},
		{"flag given already", []string{"backup", "--gzip", "--"}, []string{"--output"}, []string{"--gzip"}},
		{"repeatable flag given", []string{"backup", "--encrypt-to", "age1x", "--"}, []string{"--encrypt-to"}, nil},
		{"flag after global flag value", []string{"--log-level", "debug", "ba"}, []string{"backup"}, nil},
		{"mode values", []string{"restore", "--mode", ""}, []string{"upsert", "merge", "clean"}, nil},
		{"mode value after bash's =", []string{"restore", "--mode", "=", "me"}, []string{"merge"}, []string{"clean"}},
		{"mode value in one word", []string{"restore", "--mode=c"}, []string{"--mode=clean"}, nil},
		{"log format values", []string{"--log-format", ""}, []string{"auto", "console", "json"}, nil},
		{"shells", []string{"completion", ""}, shells, nil},
		{"folder argument", []string{"verify", ""}, nil, []string{"backup", "--json"}},
		{"file value", []string{"backup", "--output", ""}, nil, []string{"--gzip"}},
		{"unknown command", []string{"bakup", "--"}, nil, []string{"--output"}},
		{"after --", []string{"verify", "--", "--"}, nil, []string{"--json"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := completions(t, tc.words...)
			for _, w := range tc.want {
				if !contains(got, w) {
					t.Errorf("%q offers %v, want %q among them", tc.words, got, w)
				}
			}
			for _, w := range tc.notWant {
				if contains(got, w) {
					t.Errorf("%q offers %v, want no %q", tc.words, got, w)
				}
			}
			if tc.want == nil && len(got) > 0 {
				t.Errorf("%q offers %v, want nothing, so that the shell offers file names", tc.words, got)
			}
		})
	}
}

// TestCompletionFlagRunsNothing runs commands that would connect, write or
// create keys, each ending with the completion flag, against a listener
// that counts connections.
func TestCompletionFlagRunsNothing(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var accepted atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()

	conn := fmt.Sprintf("STORAGE_CONNECTION_STRING=SharedAccessSignature=sv=2019-02-02&ss=t&sig=x;TableEndpoint=http://%s/devstoreaccount1", l.Addr())
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	key := filepath.Join(dir, "identity.txt")
	commands := [][]string{
		{"backup", "--output", backups},
		{"backup", "--output", backups, "--"},
		{"backup", "--output", backups, "--", "extra"},
		{"restore", "--input", backups, "--mode", "clean"},
		{"keygen", "--encryption", key},
		{"keygen", "--encryption", key, "--"},
		{"--log-level", "debug", "backup", "--output", backups, ""},
	}

	for _, args := range commands {
		r := runBinary(t, []string{conn}, append(args, completionFlag)...)
		if r.code != 0 {
			t.Errorf("%q exits %d, want 0\nstderr:\n%s", args, r.code, r.stderr)
		}
	}
	if n := accepted.Load(); n > 0 {
		t.Errorf("the completion flag opened %d connection(s) to the service", n)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("the completion flag created files: %v", entries)
	}
}
