package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/authagonal/authagonal-tables/internal/compare"
)

// summary is the demo's result: the comparison report, the backup folder
// and the step times.
type summary struct {
	report      compare.Report
	notCompared []string
	backupDir   string
	backupBytes int64
	// changes are those made between the full and the incremental backup.
	changes          changeStats
	incrementalBytes int64
	// backupKept is set when the backup folder outlives the demo.
	backupKept bool
	steps      *stepTimer
}

// printSummary writes one line per table, the totals, the time of each
// step and a final verdict: "identical", or the differences found.
func printSummary(w io.Writer, s summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tENTITIES\tIDENTICAL")
	for _, t := range s.report.Tables {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, entityCount(t.EntitiesA, t.EntitiesB), yesNo(t.Identical()))
	}
	tw.Flush()
	fmt.Fprintln(w)

	a, b := s.report.Entities()
	fmt.Fprintf(w, "tables:   %d\n", len(s.report.Tables))
	fmt.Fprintf(w, "entities: %s\n", entityCount(a, b))
	where := "in " + s.backupDir
	if !s.backupKept {
		where = "(removed at exit; run with -keep to keep it)"
	}
	fmt.Fprintf(w, "full:     %s (%d bytes) %s\n", formatBytes(s.backupBytes), s.backupBytes, where)
	fmt.Fprintf(w, "changes:  %s, then an incremental of %s\n", s.changes, formatBytes(s.incrementalBytes))
	fmt.Fprintln(w, "security: every file encrypted with age, every manifest signed with Ed25519 and checked before the restore")
	fmt.Fprintln(w, "restore:  the chain (full, then incremental) into an empty account")
	fmt.Fprintf(w, "time:     %s\n", formatSteps(s.steps))
	if len(s.notCompared) > 0 {
		fmt.Fprintf(w, "not compared, because the backup leaves them out by default: %s\n", strings.Join(s.notCompared, ", "))
	}
	fmt.Fprintln(w)

	if s.report.Identical() {
		fmt.Fprintln(w, "identical")
		return
	}
	fmt.Fprintf(w, "%d differences:\n", s.report.DifferenceCount())
	for _, t := range s.report.Tables {
		for _, d := range t.Differences {
			fmt.Fprintf(w, "  %s\n", d)
		}
		if hidden := t.DifferenceCount - len(t.Differences); hidden > 0 {
			fmt.Fprintf(w, "  table %q: %d more differences not listed\n", t.Name, hidden)
		}
	}
}

// entityCount shows one number when both sides agree and both otherwise.
func entityCount(a, b int) string {
	if a == b {
		return fmt.Sprint(a)
	}
	return fmt.Sprintf("%d in A, %d in B", a, b)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func formatSteps(t *stepTimer) string {
	parts := make([]string, len(t.names))
	for i, name := range t.names {
		parts[i] = fmt.Sprintf("%s %s", name, t.durations[i].Round(10*time.Millisecond))
	}
	return strings.Join(parts, ", ")
}
