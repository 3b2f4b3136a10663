package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/manifest"
)

func listCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "list",
		Usage:           "list the backups in a folder of backups, oldest first",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables list [--json] DIR",
		Description: `Prints one row per backup found in DIR (the backup --output): id, start time, mode,
tables, entities, deleted keys, size, parent and status. It reads the manifests only;
run verify to check the files.

Status is complete for a backup with a manifest, incomplete for a backup that did not
finish (a temporary .tmp- folder, or a backup folder without a manifest), and damaged
for a manifest that cannot be read. Incomplete folders are never backups.

EXAMPLES:
  authagonal-tables list ./backups
  authagonal-tables list --json ./backups | jq '.[] | select(.status != "complete")'

` + commandExitCodesNoPartial,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the list as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("list takes exactly one argument, the folder of backups, such as ./backups; flags such as --json go before it")
			}
			entries, err := manifest.Scan(c.Args().First())
			if err != nil {
				return err
			}
			rows := make([]listRow, len(entries))
			for i, e := range entries {
				rows[i] = newListRow(e)
			}
			if c.Bool("json") {
				return printJSON(env, rows)
			}
			printList(env, rows)
			return nil
		},
	}
}

// listRow is one backup as list prints it.
type listRow struct {
	ID       string     `json:"id"`
	Time     *time.Time `json:"time,omitempty"`
	Mode     string     `json:"mode,omitempty"`
	Tables   int        `json:"tables"`
	Entities int64      `json:"entities"`
	Deleted  int64      `json:"deleted"`
	Bytes    int64      `json:"bytes"`
	Parent   string     `json:"parent,omitempty"`
	Status   string     `json:"status"`
	Error    string     `json:"error,omitempty"`
	Dir      string     `json:"dir"`
}

func newListRow(e *manifest.Entry) listRow {
	r := listRow{ID: e.ID(), Status: string(e.Status), Dir: e.Dir}
	if e.Err != nil {
		r.Error = e.Err.Error()
	}
	m := e.Manifest
	if m == nil {
		return r
	}
	t := m.BackupTimestamp
	r.Time = &t
	r.Mode = m.Mode
	r.Tables = len(m.Tables)
	r.Entities = m.TotalEntities
	r.Parent = m.ParentBackupID
	for _, t := range m.Tables {
		r.Deleted += t.DeletedCount
	}
	for name := range m.FileHashes {
		if info, err := os.Lstat(filepath.Join(e.Dir, name)); err == nil {
			r.Bytes += info.Size()
		}
	}
	return r
}

func printList(env *environment, rows []listRow) {
	if len(rows) == 0 {
		fmt.Fprintln(env.stdout, "No backups.")
		return
	}
	t := table{
		header: []string{"ID", "TIME", "MODE", "TABLES", "ENTITIES", "DELETED", "SIZE", "PARENT", "STATUS"},
		left:   map[int]bool{1: true, 2: true, 7: true, 8: true},
	}
	for _, r := range rows {
		when, mode, parent := "-", "-", "-"
		if r.Time != nil {
			when = r.Time.Format("2006-01-02T15:04:05Z")
		}
		if r.Mode != "" {
			mode = r.Mode
		}
		if r.Parent != "" {
			parent = r.Parent
		}
		t.add(r.ID, when, mode, r.Tables, r.Entities, r.Deleted, formatBytes(r.Bytes), parent, r.Status)
	}
	t.print(env.stdout)
}

// formatBytes prints a size in binary units.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
