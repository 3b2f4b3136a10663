package manifest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Chain returns the backups a restore to target applies, oldest first: the
// full backup target descends from, then each incremental after it up to
// target, found by following ParentBackupId. A chain may also start at an
// incremental that had no backup to follow. The problems name the backup
// folder concerned in File; with any problem the chain is unusable.
func Chain(entries []*Entry, target *Entry) ([]*Entry, []Problem) {
	byID := map[string]*Entry{}
	for _, e := range entries {
		byID[e.ID()] = e
		byID[e.Name] = e
	}
	chain := []*Entry{target}
	seen := map[*Entry]bool{target: true}
	for cur := target; cur.Manifest.ParentBackupID != ""; {
		id := cur.Manifest.ParentBackupID
		parent, ok := byID[id]
		switch {
		case !ok:
			return nil, []Problem{{File: cur.Name, Message: fmt.Sprintf(
				"its parent backup %s is missing from the folder, so the chain is broken and %s cannot be restored; put %s back, or restore a backup whose chain does not need it", id, cur.Name, id)}}
		case parent.Status != Complete:
			return nil, []Problem{{File: cur.Name, Message: fmt.Sprintf(
				"its parent backup %s is %s (%v), so the chain is broken", id, parent.Status, parent.Err)}}
		case seen[parent]:
			return nil, []Problem{{File: cur.Name, Message: fmt.Sprintf("the chain of parents loops back to %s; the manifests were altered", id)}}
		case !parent.Manifest.BackupTimestamp.Before(cur.Manifest.BackupTimestamp):
			return nil, []Problem{{File: cur.Name, Message: fmt.Sprintf(
				"its parent backup %s is not older than it; the manifests were altered", id)}}
		}
		seen[parent] = true
		chain = append(chain, parent)
		cur = parent
	}
	for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
		chain[i], chain[j] = chain[j], chain[i]
	}
	return chain, nil
}

// CheckChain checks that the backups of a chain fit together, table by
// table. A table copied incrementally must follow the chain's previous
// backup of that table, with no time between that backup's service time
// and the watermark. Problems make the chain unusable; warnings say where
// a restore through it may not match the source, such as deletes that
// were not tracked.
func CheckChain(chain []*Entry) (problems []Problem, warnings []string) {

	previous := map[string]last{}
	untracked := map[string][]string{}
	for _, b := range chain {
		m := b.Manifest
		for _, name := range m.TableNames() {
			t := m.Tables[name]
			prev, hasPrev := previous[strings.ToLower(name)]
			switch {
			case t.Incremental() && !hasPrev:
				problems = append(problems, Problem{File: b.Name, Message: fmt.Sprintf(
					"table %s holds only the changes since %s, but no earlier backup of the chain holds it, so its older entities are in no backup of the chain; restore from a chain whose full backup holds %s, or restore this folder alone on top of the data it follows",
					name, formatTime(*t.Watermark), name)})
			case t.Incremental() && t.BaseBackupID != "" && t.BaseBackupID != prev.entry.ID():
				problems = append(problems, Problem{File: b.Name, Message: fmt.Sprintf(
					"table %s follows backup %s, but the previous backup of %s in the chain is %s; the backups do not form one chain",
					name, t.BaseBackupID, name, prev.entry.ID())})
			case t.Incremental() && prev.table.ServiceTime != nil && t.Watermark.After(*prev.table.ServiceTime):
				problems = append(problems, Problem{File: b.Name, Message: fmt.Sprintf(
					"table %s holds the changes since %s, but the previous backup of it, %s, ends at %s: the changes in between are in no backup",
					name, formatTime(*t.Watermark), prev.entry.ID(), formatTime(*prev.table.ServiceTime))})
			}
			key := strings.ToLower(name)
			switch {
			case hasPrev && m.Mode == ModeIncremental && !t.DeletesTracked:
				untracked[key] = append(untracked[key], fmt.Sprintf(
					"%s: deletes from table %s since backup %s were not tracked; entities deleted since then come back with this restore",
					b.Name, name, prev.entry.ID()))
			case t.DeletesTracked:
				// A later incremental that tracks deletes catches up on
				// every delete since the last key set.
				delete(untracked, key)
			}
			previous[key] = last{entry: b, name: name, table: t}
		}
		for _, f := range m.FailedTables {
			if prev, ok := previous[strings.ToLower(f.Name)]; ok {
				warnings = append(warnings, fmt.Sprintf("%s: the backup of table %s failed (%s); it is restored as of backup %s", b.Name, f.Name, f.Error, prev.entry.ID()))
			}
		}
	}
	for _, key := range sortedKeys(untracked) {
		warnings = append(warnings, untracked[key]...)
	}

	// A table that the target backup does not hold, because it was taken
	// with --tables, is restored as of its last copy.
	target := chain[len(chain)-1]
	failed := map[string]bool{}
	for _, f := range target.Manifest.FailedTables {
		failed[strings.ToLower(f.Name)] = true
	}
	for _, key := range sortedKeys(previous) {
		if prev := previous[key]; prev.entry != target && !failed[key] {
			warnings = append(warnings, fmt.Sprintf("%s does not hold table %s; it is restored as of backup %s, the last one that does",
				target.Name, prev.name, prev.entry.ID()))
		}
	}
	return problems, warnings
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// last is the newest copy of a table seen so far along a chain.
type last struct {
	entry *Entry
	name  string
	table Table
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.0000000Z") }

// FolderReport is the outcome of VerifyFolder.
type FolderReport struct {
	Dir     string          `json:"dir"`
	Backups []BackupSummary `json:"backups"`
	// Problems are those of the folder and of the chains, not those of one
	// backup's files, which are in Backups.
	Problems []Problem `json:"problems"`
	Warnings []string  `json:"warnings"`
}

// BackupSummary is the verification of one folder in a folder of backups.
type BackupSummary struct {
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Error is the reason a backup is incomplete or damaged.
	Error  string  `json:"error,omitempty"`
	Report *Report `json:"report,omitempty"`
}

// OK reports whether every complete backup verified, no backup is
// damaged, and every chain is whole. Incomplete backups are reported but
// do not fail it: they are not backups.
func (r *FolderReport) OK() bool {
	if len(r.Problems) > 0 {
		return false
	}
	for _, b := range r.Backups {
		if b.Status == Damaged || (b.Report != nil && !b.Report.OK()) {
			return false
		}
	}
	return true
}

// ProblemCount returns the number of problems in the report and in every
// backup's report.
func (r *FolderReport) ProblemCount() int {
	n := len(r.Problems)
	for _, b := range r.Backups {
		if b.Status == Damaged {
			n++
		}
		if b.Report != nil {
			n += len(b.Report.Problems)
		}
	}
	return n
}

// VerifyFolder verifies every backup in a folder of backups, and the
// chain of each one.
func VerifyFolder(ctx context.Context, dir string, opts VerifyOptions) (*FolderReport, error) {
	entries, err := Scan(dir)
	if err != nil {
		return nil, err
	}
	r := &FolderReport{Dir: dir, Backups: []BackupSummary{}, Problems: []Problem{}, Warnings: []string{}}
	if len(entries) == 0 {
		r.Problems = append(r.Problems, Problem{Message: "no backups in the folder"})
	}
	seenProblem := map[string]bool{}
	seenWarning := map[string]bool{}
	for _, e := range entries {
		s := BackupSummary{Name: e.Name, Status: e.Status}
		if e.Err != nil {
			s.Error = e.Err.Error()
		}
		if e.Status == Complete {
			report, err := Verify(ctx, e.Dir, opts)
			if err != nil {
				return nil, err
			}
			s.Report = report
			chain, problems := Chain(entries, e)
			if chain != nil {
				var warnings []string
				problems, warnings = CheckChain(chain)
				for _, w := range warnings {
					if !seenWarning[w] {
						seenWarning[w] = true
						r.Warnings = append(r.Warnings, w)
					}
				}
			}
			for _, p := range problems {
				if !seenProblem[p.String()] {
					seenProblem[p.String()] = true
					r.Problems = append(r.Problems, p)
				}
			}
		}
		r.Backups = append(r.Backups, s)
	}
	sort.SliceStable(r.Problems, func(i, j int) bool { return r.Problems[i].File < r.Problems[j].File })
	return r, nil
}
