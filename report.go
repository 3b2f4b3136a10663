package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
)

// table prints rows with the first column left-aligned and the others
// right-aligned, as numbers read best.
type table struct {
	header []string
	rows   [][]string
	// left marks further columns of text to align left.
	left map[int]bool
}

func (t *table) add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.rows = append(t.rows, row)
}

func (t *table) print(w io.Writer) {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			widths[i] = max(widths[i], len(cell))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, cell := range row {
			switch {
			case i == 0:
				fmt.Fprintf(w, "%-*s", widths[i], cell)
			case t.left[i] && i == len(row)-1:
				fmt.Fprintf(w, "  %s", cell)
			case t.left[i]:
				fmt.Fprintf(w, "  %-*s", widths[i], cell)
			default:
				fmt.Fprintf(w, "  %*s", widths[i], cell)
			}
		}
		fmt.Fprintln(w)
	}
}

// printJSON prints v as indented JSON on stdout, for the --json flags.
func printJSON(env *environment, v any) error {
	enc := json.NewEncoder(env.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printBackupSummary prints a table of what was written and the backup
// folder on stdout.
func printBackupSummary(env *environment, res *backup.Result) {
	m := res.Manifest
	t := table{header: []string{"TABLE", "ENTITIES", "DELETED", "BYTES", "SECONDS", "COPY"}}
	var bytes, deleted int64
	for _, name := range m.TableNames() {
		info := m.Tables[name]
		bytes += info.Bytes
		deleted += info.DeletedCount
		copied := "all"
		if info.Watermark != nil {
			copied = "changes"
		}
		if m.Mode == manifest.ModeIncremental && info.BaseBackupID != "" && !info.DeletesTracked {
			copied += ", deletes not tracked"
		}
		t.add(name, info.EntityCount, info.DeletedCount, info.Bytes, fmt.Sprintf("%.1f", info.DurationSeconds), copied)
	}
	t.add("TOTAL", m.TotalEntities, deleted, bytes, fmt.Sprintf("%.1f", m.DurationSeconds), "")
	t.print(env.stdout)
	for _, f := range m.FailedTables {
		fmt.Fprintf(env.stdout, "FAILED: table %s: %s\n", f.Name, f.Error)
	}
	kind := "Backup"
	if m.Mode == manifest.ModeIncremental {
		kind = "Incremental backup"
		if m.ParentBackupID != "" {
			kind += " (after " + m.ParentBackupID + ")"
		}
	}
	fmt.Fprintf(env.stdout, "%s written to %s\n", kind, res.Dir)
}

// printVerifyReport prints a verify report as text on stdout.
func printVerifyReport(env *environment, r *manifest.Report) {
	if m := r.Manifest; m != nil {
		fmt.Fprintf(env.stdout, "Backup %s: %s, codec %s, taken %s\n", m.BackupID, m.Mode, m.Codec, m.BackupTimestamp.Format("2006-01-02T15:04:05Z07:00"))
		printLegacyNotes(env, r)
	}
	if len(r.Tables) > 0 {
		tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "TABLE\tFILE\tENTITIES\tBYTES\tSTATUS")
		var entities, bytes int64
		for _, t := range r.Tables {
			status := "ok"
			if !t.OK {
				status = "FAILED"
			}
			entities += t.Entities
			bytes += t.Bytes
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", t.Name, t.File, t.Entities, t.Bytes, status)
		}
		tw.Flush()
		if r.OK() {
			fmt.Fprintf(env.stdout, "OK: %d table(s), %d entities, %d bytes verified\n", len(r.Tables), entities, bytes)
			if note := signatureNote(r); note != "" {
				fmt.Fprintln(env.stdout, note)
			}
			if len(r.Unread) > 0 {
				fmt.Fprintf(env.stdout, "%d encrypted file(s): hashes match, content not read; pass --identity to check the content too\n", len(r.Unread))
			}
			if m := r.Manifest; m != nil && m.Mode == manifest.ModeIncremental && m.Legacy == nil {
				fmt.Fprintf(env.stdout, "This is an incremental backup: verify the folder that holds it, %s, to check its chain too.\n", filepath.Dir(filepath.Clean(r.Dir)))
			}
			return
		}
	}
	if !r.OK() {
		printProblems(env, r.Problems)
	}
}

// printProblems lists the problems of a failed verification on stdout.
func printProblems(env *environment, problems []manifest.Problem) {
	fmt.Fprintf(env.stdout, "FAILED: %d problem(s):\n", len(problems))
	for _, p := range problems {
		fmt.Fprintf(env.stdout, "  %s\n", p)
	}
}

// printFailedEntities lists every entity a restore could not write on
// stdout.
func printFailedEntities(env *environment, failed []restore.FailedEntity) {
	fmt.Fprintf(env.stdout, "NOT WRITTEN: %s:\n", plural(len(failed), "entity", "entities"))
	for _, f := range failed {
		fmt.Fprintf(env.stdout, "  %s\n", f)
	}
}

// printRestoreSummary prints per table what a restore wrote on stdout.
func printRestoreSummary(env *environment, res *restore.Result) {
	if len(res.Tables) == 0 {
		return
	}
	t := table{header: []string{"TABLE", "WRITTEN", "DELETED", "ABSENT", "FAILED"}}
	var written, deleted, absent, failed int64
	for _, r := range res.Tables {
		written += r.Written
		deleted += r.Deleted
		absent += r.Absent
		failed += r.Failed
		t.add(r.Table, r.Written, r.Deleted, r.Absent, r.Failed)
	}
	t.add("TOTAL", written, deleted, absent, failed)
	t.print(env.stdout)
	if absent > 0 {
		fmt.Fprintln(env.stdout, "ABSENT counts recorded deletes of entities the table did not hold; nothing was lost.")
	}
}

// printFolderReport prints the verification of a folder of backups: a row
// per backup, then every problem, each named by its backup folder.
func printFolderReport(env *environment, r *manifest.FolderReport) {
	t := table{header: []string{"BACKUP", "MODE", "TABLES", "ENTITIES", "STATUS"}, left: map[int]bool{1: true, 4: true}}
	var problems []manifest.Problem
	for _, b := range r.Backups {
		mode, status, tablesN, entities := "-", string(b.Status), "-", "-"
		switch {
		case b.Report != nil && b.Report.Manifest != nil:
			m := b.Report.Manifest
			mode, tablesN, entities = m.Mode, fmt.Sprint(len(m.Tables)), fmt.Sprint(m.TotalEntities)
			status = "ok"
			if !b.Report.OK() {
				status = "FAILED"
			}
			for _, p := range b.Report.Problems {
				p.File = strings.TrimSuffix(b.Name+"/"+p.File, "/")
				problems = append(problems, p)
			}
		case b.Report != nil:
			status = "FAILED"
			for _, p := range b.Report.Problems {
				p.File = strings.TrimSuffix(b.Name+"/"+p.File, "/")
				problems = append(problems, p)
			}
		case b.Status == manifest.Damaged:
			status = "DAMAGED"
			problems = append(problems, manifest.Problem{File: b.Name, Message: b.Error})
		case b.Status == manifest.Incomplete:
			status = "incomplete, not a backup"
		}
		t.add(b.Name, mode, tablesN, entities, status)
	}
	t.print(env.stdout)
	problems = append(problems, r.Problems...)
	if len(problems) == 0 {
		fmt.Fprintf(env.stdout, "OK: %d backup(s) and their chains verified\n", countComplete(r))
		printFolderNotes(env, r)
		return
	}
	printProblems(env, problems)
}

func countComplete(r *manifest.FolderReport) int {
	n := 0
	for _, b := range r.Backups {
		if b.Status == manifest.Complete {
			n++
		}
	}
	return n
}

// plural returns n and the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// printFolderNotes prints what a successful folder verification did not
// prove: encrypted content not read, signatures not checked.
func printFolderNotes(env *environment, r *manifest.FolderReport) {
	unread, unchecked := 0, 0
	for _, b := range r.Backups {
		if b.Report == nil {
			continue
		}
		unread += len(b.Report.Unread)
		if b.Report.Signature == manifest.SignatureNotChecked {
			unchecked++
		}
	}
	if unread > 0 {
		fmt.Fprintf(env.stdout, "%s: hashes match, content not read; pass --identity to check the content too\n", plural(unread, "encrypted file", "encrypted files"))
	}
	if unchecked > 0 {
		fmt.Fprintf(env.stdout, "%s signed but not checked; pass --verify-key to check the signatures\n", plural(unchecked, "backup", "backups"))
	}
}
