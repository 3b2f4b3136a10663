package manifest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/manifest"
)

var t0 = time.Date(2026, 12, 4, 2, 0, 0, 0, time.UTC)

func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// entry returns a complete backup taken at t0 plus d, holding tables.
func entry(id string, d time.Duration, parent string, tables map[string]manifest.Table) *manifest.Entry {
	mode := manifest.ModeFull
	if parent != "" || strings.HasSuffix(id, manifest.IncrementalSuffix) {
		mode = manifest.ModeIncremental
	}
	return &manifest.Entry{Name: id, Status: manifest.Complete, Manifest: &manifest.Manifest{
		BackupID: id, BackupTimestamp: t0.Add(d), Mode: mode, ParentBackupID: parent, Tables: tables,
	}}
}

func fullCopy(d time.Duration) manifest.Table {
	return manifest.Table{ServiceTime: at(d), KeysFile: "k"}
}

func changes(base string, from, d time.Duration) manifest.Table {
	return manifest.Table{Watermark: at(from), ServiceTime: at(d), BaseBackupID: base, KeysFile: "k", DeletedFile: "x", DeletesTracked: true}
}

func ids(chain []*manifest.Entry) string {
	var s []string
	for _, e := range chain {
		s = append(s, e.ID())
	}
	return strings.Join(s, " ")
}

func TestChainFollowsParents(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
	other := entry("20261204-021000", 10*time.Minute, "", map[string]manifest.Table{"Users": fullCopy(10 * time.Minute)})
	i1 := entry("20261204-030000-incr", time.Hour, full.ID(), map[string]manifest.Table{"Users": changes(full.ID(), -5*time.Minute, time.Hour)})
	entries := []*manifest.Entry{full, other, i1}

	chain, problems := manifest.Chain(entries, i1)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	if got := ids(chain); got != "20261204-020000 20261204-030000-incr" {
		t.Errorf("chain = %s", got)
	}
	if problems, warnings := manifest.CheckChain(chain); len(problems)+len(warnings) > 0 {
		t.Errorf("CheckChain: problems %v, warnings %v", problems, warnings)
	}
}

func TestChainProblems(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
	tests := []struct {
		name   string
		target *manifest.Entry
		extra  []*manifest.Entry
		want   string
	}{
		{
			name:   "missing parent",
			target: entry("20261204-040000-incr", 2*time.Hour, "20261204-030000-incr", map[string]manifest.Table{"Users": changes("20261204-030000-incr", time.Hour, 2*time.Hour)}),
			want:   "parent backup 20261204-030000-incr is missing",
		},
		{
			name:   "damaged parent",
			target: entry("20261204-040000-incr", 2*time.Hour, "20261204-030000-incr", nil),
			extra:  []*manifest.Entry{{Name: "20261204-030000-incr", Status: manifest.Damaged, Err: os.ErrInvalid}},
			want:   "is damaged",
		},
		{
			name:   "parent not older",
			target: entry("20261204-010000-incr", -time.Hour, full.ID(), nil),
			want:   "not older",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := append([]*manifest.Entry{full, tt.target}, tt.extra...)
			_, problems := manifest.Chain(entries, tt.target)
			if len(problems) != 1 || !strings.Contains(problems[0].Message, tt.want) || problems[0].File != tt.target.Name {
				t.Errorf("problems = %v, want one about %s naming %q", problems, tt.want, tt.target.Name)
			}
		})
	}
}

func TestChainLoopIsAProblem(t *testing.T) {
	a := entry("20261204-030000-incr", time.Hour, "20261204-040000-incr", nil)
	b := entry("20261204-040000-incr", 2*time.Hour, "20261204-030000-incr", nil)
	// b's parent a is older, but a's parent b is not: the loop ends there.
	_, problems := manifest.Chain([]*manifest.Entry{a, b}, b)
	if len(problems) != 1 {
		t.Fatalf("problems = %v, want one", problems)
	}
}

func TestCheckChainTables(t *testing.T) {
	fullID := "20261204-020000"
	tests := []struct {
		name    string
		i1      manifest.Table
		problem string
		warning string
	}{
		{name: "gap", i1: changes(fullID, 10*time.Minute, time.Hour), problem: "in no backup"},
		{name: "wrong base", i1: changes("20261204-010000", -5*time.Minute, time.Hour), problem: "do not form one chain"},
		{name: "deletes not tracked", i1: manifest.Table{Watermark: at(-5 * time.Minute), BaseBackupID: fullID}, warning: "were not tracked"},
		{name: "full copy with deletes", i1: manifest.Table{ServiceTime: at(time.Hour), BaseBackupID: fullID, KeysFile: "k", DeletedFile: "x", DeletesTracked: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			full := entry(fullID, 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
			i1 := entry("20261204-030000-incr", time.Hour, fullID, map[string]manifest.Table{"Users": tt.i1})
			problems, warnings := manifest.CheckChain([]*manifest.Entry{full, i1})
			checkOne(t, "problem", problemStrings(problems), tt.problem)
			checkOne(t, "warning", warnings, tt.warning)
		})
	}
}

func TestCheckChainTableOnlyInIncrement(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
	// Grants has changes only, with no earlier copy in the chain, as after
	// a .NET marks file: its older entities are in no backup of the chain.
	i1 := entry("20261204-030000-incr", time.Hour, full.ID(), map[string]manifest.Table{
		"Users":  changes(full.ID(), -5*time.Minute, time.Hour),
		"Grants": {Watermark: at(-time.Hour), ServiceTime: at(time.Hour)},
	})
	problems, _ := manifest.CheckChain([]*manifest.Entry{full, i1})
	checkOne(t, "problem", problemStrings(problems), "no earlier backup of the chain holds it")
}

func TestCheckChainFailedTableWarns(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
	i1 := entry("20261204-030000-incr", time.Hour, full.ID(), map[string]manifest.Table{})
	i1.Manifest.FailedTables = []manifest.Failed{{Name: "Users", Error: "500 InternalError"}}
	_, warnings := manifest.CheckChain([]*manifest.Entry{full, i1})
	checkOne(t, "warning", warnings, "restored as of backup 20261204-020000")
}

func problemStrings(problems []manifest.Problem) []string {
	var s []string
	for _, p := range problems {
		s = append(s, p.String())
	}
	return s
}

// checkOne checks that got is empty when want is, and otherwise holds
// exactly one message containing want.
func checkOne(t *testing.T, kind string, got []string, want string) {
	t.Helper()
	switch {
	case want == "" && len(got) > 0:
		t.Errorf("unexpected %ss: %v", kind, got)
	case want != "" && (len(got) != 1 || !strings.Contains(got[0], want)):
		t.Errorf("%ss = %v, want one containing %q", kind, got, want)
	}
}

func TestScanStatusAndOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, m *manifest.Manifest) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			t.Fatal(err)
		}
		if m != nil {
			if err := manifest.Write(filepath.Join(dir, name), m); err != nil {
				t.Fatal(err)
			}
		}
	}
	newManifest := func(id string, d time.Duration) *manifest.Manifest {
		return &manifest.Manifest{FormatVersion: manifest.FormatVersion, BackupID: id, BackupTimestamp: t0.Add(d), Mode: manifest.ModeFull,
			Tables: map[string]manifest.Table{}, FileHashes: map[string]string{}}
	}
	write("20261204-020000-10", newManifest("20261204-020000-10", 0))
	write("20261204-020000", newManifest("20261204-020000", 0))
	write("20261204-020000-2", newManifest("20261204-020000-2", 0))
	write(".tmp-20261204-050000-abcdef", nil)
	write("20261204-040000", nil)
	write("notes", nil)
	write("20261204-030000", nil)
	if err := os.WriteFile(filepath.Join(dir, "20261204-030000", manifest.FileName), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}

	entries, err := manifest.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name+"="+string(e.Status))
	}
	want := "20261204-020000=complete 20261204-020000-2=complete 20261204-020000-10=complete 20261204-030000=damaged 20261204-040000=incomplete .tmp-20261204-050000-abcdef=incomplete"
	if strings.Join(got, " ") != want {
		t.Errorf("Scan =\n  %s\nwant\n  %s", strings.Join(got, " "), want)
	}
	if n := manifest.Newest(entries); n == nil || n.Name != "20261204-020000-10" {
		t.Errorf("Newest = %v, want the last complete backup", n)
	}
}

func TestCheckChainCatchUpClearsWarning(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0)})
	untracked := entry("20261204-030000-incr", time.Hour, full.ID(), map[string]manifest.Table{
		"Users": {Watermark: at(-5 * time.Minute), ServiceTime: at(time.Hour), BaseBackupID: full.ID()},
	})
	tracked := entry("20261204-040000-incr", 2*time.Hour, untracked.ID(), map[string]manifest.Table{
		"Users": changes(untracked.ID(), 55*time.Minute, 2*time.Hour),
	})
	_, warnings := manifest.CheckChain([]*manifest.Entry{full, untracked})
	checkOne(t, "warning", warnings, "were not tracked")
	_, warnings = manifest.CheckChain([]*manifest.Entry{full, untracked, tracked})
	checkOne(t, "warning", warnings, "")
}

func TestCheckChainTargetWithoutTable(t *testing.T) {
	full := entry("20261204-020000", 0, "", map[string]manifest.Table{"Users": fullCopy(0), "Grants": fullCopy(0)})
	i1 := entry("20261204-030000-incr", time.Hour, full.ID(), map[string]manifest.Table{"Users": changes(full.ID(), -5*time.Minute, time.Hour)})
	_, warnings := manifest.CheckChain([]*manifest.Entry{full, i1})
	checkOne(t, "warning", warnings, "does not hold table Grants; it is restored as of backup 20261204-020000")
}
