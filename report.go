package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
)

// printBackupSummary prints the backup folder and a table of what was
// written on stdout.
func printBackupSummary(env *environment, res *backup.Result) {
	m := res.Manifest
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tENTITIES\tBYTES\tSECONDS\t")
	var bytes int64
	for _, name := range m.TableNames() {
		t := m.Tables[name]
		bytes += t.Bytes
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t\n", name, t.EntityCount, t.Bytes, t.DurationSeconds)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%.1f\t\n", m.TotalEntities, bytes, m.DurationSeconds)
	tw.Flush()
	fmt.Fprintf(env.stdout, "Backup written to %s\n", res.Dir)
}

// printVerifyReport prints a verify report as text on stdout.
func printVerifyReport(env *environment, r *manifest.Report) {
	if m := r.Manifest; m != nil {
		fmt.Fprintf(env.stdout, "Backup %s: %s, codec %s, taken %s\n", m.BackupID, m.Mode, m.Codec, m.BackupTimestamp.Format("2006-01-02T15:04:05Z07:00"))
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
			fmt.Fprintf(env.stdout, "OK: %d tables, %d entities, %d bytes verified\n", len(r.Tables), entities, bytes)
			return
		}
	}
	if !r.OK() {
		fmt.Fprintf(env.stdout, "FAILED: %d problem(s):\n", len(r.Problems))
		for _, p := range r.Problems {
			fmt.Fprintf(env.stdout, "  %s\n", p)
		}
	}
}

// printRestoreSummary prints per table what a restore wrote on stdout.
func printRestoreSummary(env *environment, res *restore.Result) {
	if len(res.Tables) == 0 {
		return
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "TABLE\tWRITTEN\tDELETED\tFAILED\t")
	var written, deleted, failed int64
	for _, t := range res.Tables {
		written += t.Written
		deleted += t.Deleted
		failed += t.Failed
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t\n", t.Table, t.Written, t.Deleted, t.Failed)
	}
	fmt.Fprintf(tw, "TOTAL\t%d\t%d\t%d\t\n", written, deleted, failed)
	tw.Flush()
}
