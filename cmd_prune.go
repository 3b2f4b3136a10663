package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/prune"
)

func pruneCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "prune",
		Usage:           "remove the backups that no keep rule selects and no kept backup needs",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables prune [--keep-last N] [--keep-hourly N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--grace DURATION] [--dry-run] [--json] DIR",
		Description: `Applies a retention policy to DIR, a folder of backups (the backup --output). Each
keep rule selects some complete backups, and prune keeps the union of what they select:

  --keep-last N     the newest N backups
  --keep-hourly N   the newest backup of each of the newest N hours that have one
  --keep-daily N    the same per day, --keep-weekly per ISO week, --keep-monthly per month

Hours, days, weeks and months are in UTC and count from each backup's start time. At
least one rule is required. Prune also keeps the newest backup, the backups that the
marks in DIR/.lastbackup name, and every backup that a kept backup needs for its
restore: its chain of parents back to the full backup, and the backup each of its
tables follows. Everything else that is a complete backup is removed.

Prune never removes a folder it does not recognise as a complete backup of this tool:
damaged backups, backups of the .NET backup tool, folders without a manifest, backups
that contain files their manifest does not list, and other files are listed and left
alone. The exception is the temporary
.tmp- folders of backups that did not finish: they are removed once they have not
changed for --grace.

Prune takes DIR/.lock, so it cannot run while a backup writes to DIR. It renames each
backup to a temporary name before it deletes it, so an interrupted prune never
leaves a half-deleted folder that looks like a backup. It prints one row per backup
with KEEP or REMOVE and the reasons, then the other entries and a summary.

EXAMPLES:
  authagonal-tables prune --keep-hourly 48 --keep-daily 14 --keep-weekly 8 --dry-run /backups
  authagonal-tables prune --keep-last 24 --keep-daily 7 --keep-monthly 12 /backups
  authagonal-tables prune --keep-daily 7 --json /backups | jq '.backups[] | select(.action == "remove") | .id'

` + commandExitCodesNoPartial,
		Flags: []cli.Flag{
			keepFlag("last", "keep the newest `N` backups"),
			keepFlag("hourly", "keep the newest backup of each of the newest `N` hours that have one (UTC)"),
			keepFlag("daily", "keep the newest backup of each of the newest `N` days that have one (UTC)"),
			keepFlag("weekly", "keep the newest backup of each of the newest `N` ISO weeks that have one (UTC)"),
			keepFlag("monthly", "keep the newest backup of each of the newest `N` months that have one (UTC)"),
			&cli.DurationFlag{
				Name:    "grace",
				Value:   prune.DefaultGrace,
				Usage:   "remove a temporary .tmp- folder once it has not changed for this `DURATION`, such as 24h; 0 removes every one",
				EnvVars: []string{"PRUNE_GRACE"},
			},
			&cli.BoolFlag{Name: "dry-run", Usage: "print what would be kept and removed; remove nothing and take no lock"},
			&cli.BoolFlag{Name: "json", Usage: "print the plan and what was removed as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("prune takes exactly one argument, the folder of backups, such as ./backups; flags such as --keep-daily go before it")
			}
			res, err := prune.Run(c.Context, prune.Options{
				Dir: c.Args().First(),
				Policy: prune.Policy{
					Last:    c.Int("keep-last"),
					Hourly:  c.Int("keep-hourly"),
					Daily:   c.Int("keep-daily"),
					Weekly:  c.Int("keep-weekly"),
					Monthly: c.Int("keep-monthly"),
				},
				Grace:  c.Duration("grace"),
				DryRun: c.Bool("dry-run"),
				Log:    env.log,
			})
			if res == nil {
				return err
			}
			if c.Bool("json") {
				if jerr := printJSON(env, res); jerr != nil && err == nil {
					err = jerr
				}
			} else {
				printPruneReport(env, res)
			}
			return err
		},
	}
}

func keepFlag(name, usage string) cli.Flag {
	return &cli.IntFlag{Name: "keep-" + name, Usage: usage, EnvVars: []string{"PRUNE_KEEP_" + strings.ToUpper(name)}}
}

// printPruneReport prints a row per backup, a row per other entry of the
// folder, and a summary on stdout.
func printPruneReport(env *environment, res *prune.Result) {
	if len(res.Backups) == 0 {
		fmt.Fprintln(env.stdout, "No complete backups.")
	} else {
		t := table{
			header: []string{"ACTION", "BACKUP", "TIME", "MODE", "SIZE", "REASONS"},
			left:   map[int]bool{1: true, 2: true, 3: true, 5: true},
		}
		for _, b := range res.Backups {
			reasons := "-"
			if b.Action == prune.Keep {
				reasons = keepReasons(b)
			}
			t.add(strings.ToUpper(string(b.Action)), b.ID, b.Time.Format("2006-01-02T15:04:05Z"), b.Mode, formatBytes(b.Bytes), reasons)
		}
		t.print(env.stdout)
	}
	if len(res.Others) > 0 {
		fmt.Fprintln(env.stdout)
		t := table{header: []string{"ACTION", "OTHER", "KIND", "REASON"}, left: map[int]bool{1: true, 2: true, 3: true}}
		for _, o := range res.Others {
			t.add(strings.ToUpper(string(o.Action)), o.Name, o.Kind, o.Reason)
		}
		t.print(env.stdout)
	}
	fmt.Fprintln(env.stdout, pruneSummary(res))
}

// keepReasons joins the reasons a backup is kept, naming only the newest
// of the backups that need it.
func keepReasons(b *prune.Backup) string {
	reasons := append([]string{}, b.Reasons...)
	switch n := len(b.NeededBy); {
	case n == 1:
		reasons = append(reasons, "needed by "+b.NeededBy[0])
	case n > 1:
		reasons = append(reasons, fmt.Sprintf("needed by %s and %d more", b.NeededBy[0], n-1))
	}
	return strings.Join(reasons, ", ")
}

// pruneSummary returns the last line of the report.
func pruneSummary(res *prune.Result) string {
	var kept, removed, planned, temporary, left int
	var removedBytes, plannedBytes int64
	for _, b := range res.Backups {
		switch {
		case b.Action == prune.Keep:
			kept++
		case b.Removed:
			removed++
			removedBytes += b.Bytes
		default:
			planned++
			plannedBytes += b.Bytes
		}
	}
	for _, o := range res.Others {
		switch {
		case o.Action == prune.Leave:
			left++
		case o.Removed || res.DryRun:
			temporary++
		}
	}
	if res.DryRun {
		return fmt.Sprintf("Dry run: would keep %s, remove %s (%s) and %s, and leave %s alone. Nothing was removed.",
			count(kept, "backup", "backups"), count(planned, "backup", "backups"), formatBytes(plannedBytes),
			count(temporary, "temporary folder", "temporary folders"), count(left, "other entry", "other entries"))
	}
	line := fmt.Sprintf("Kept %s, removed %s (%s) and %s, left %s alone.",
		count(kept, "backup", "backups"), count(removed, "backup", "backups"), formatBytes(removedBytes),
		count(temporary, "temporary folder", "temporary folders"), count(left, "other entry", "other entries"))
	if planned > 0 {
		line += fmt.Sprintf(" %s planned for removal still there.", count(planned, "backup", "backups"))
	}
	return line
}

// count returns n with the singular or plural noun.
func count(n int, singular, plural string) string {
	if n == 1 {
		return "1 " + singular
	}
	return fmt.Sprintf("%d %s", n, plural)
}
