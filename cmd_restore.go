package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
)

func restoreCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "restore",
		Usage:           "verify a backup folder, then write it into an account",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables restore --input DIR [--at TIME | --backup ID] [flags]",
		Description: `Verifies the backup first, with the same checks as verify, and writes nothing, not even
a table, unless it passes. Then creates missing tables and writes the entities in
entity group transactions.

--input is a backup folder, or the folder that holds the backups (the backup
--output). From a folder of backups the newest backup is restored, or the one --at
or --backup selects, together with its chain: the full backup it follows and every
incremental after that full, applied oldest first, each one's entities and then its
deletes. Every backup of the chain is verified before the first write.

An incremental folder given alone is applied on top of what the tables hold, with a
warning; --mode clean is rejected for it.

Modes:
  upsert  insert each entity, or replace an existing one whole (default)
  merge   insert each entity, or merge its properties into an existing one
  clean   delete every entity of each restored table, then insert

A folder written by the original Authagonal .NET backup tool is restored too, with
its types inferred as --legacy-types sets and a warning per table; without file
hashes in its manifest, its integrity cannot be proven, and the log says so.
docs/migrating.md describes what is read.

An entity the service rejects is named (table, file, line, keys, error code) and the
others are still written; the command then exits 2.

EXAMPLES:
  authagonal-tables restore --input ./backups/20261204-020000
  authagonal-tables restore --input ./backups/20261204-020000 --tables Users,UserEmails --mode merge
  authagonal-tables restore --input ./backups/20261204-020000 --mode clean --dry-run
  authagonal-tables restore --input ./backups --at 2026-12-04T09:30:00Z --dry-run
  authagonal-tables restore --input ./backups --backup 20261204-090000-incr

` + commandExitCodes,
		Flags: append(serviceFlags(),
			&cli.StringFlag{Name: "input", Usage: "backup folder, or folder of backups, `DIR` to restore", EnvVars: []string{"RESTORE_INPUT"}},
			&cli.StringFlag{Name: "at", Usage: "restore the newest backup taken at or before `TIME` (RFC 3339, such as 2026-12-04T09:30:00Z)", EnvVars: []string{"RESTORE_AT"}},
			&cli.StringFlag{Name: "backup", Usage: "restore the backup with this `ID` or folder name, such as 20261204-090000-incr", EnvVars: []string{"RESTORE_BACKUP"}},
			&cli.StringFlag{Name: "mode", Value: string(restore.Upsert), Usage: "`MODE` for entities that exist already: upsert, merge or clean", EnvVars: []string{"RESTORE_MODE"}},
			tablesFlag("restore only these tables of the backup", "RESTORE_TABLES"),
			&cli.BoolFlag{Name: "dry-run", Usage: "verify and print what would be written and deleted; write nothing"},
			parallelFlag(restore.DefaultParallel, "`N` batches in flight at once (1 to 64), across partitions and tables"),
			&cli.StringFlag{
				Name:    "target-prefix",
				Usage:   "restore into the tables with this name `PREFIX`, such as an isolated copy; the default is the prefix the backup was taken with, and --target-prefix '' restores into unprefixed tables",
				EnvVars: []string{"RESTORE_TARGET_PREFIX"},
			},
			identityFlag("decrypts an encrypted backup"),
			verifyKeyFlag(),
			legacyTypesFlag(),
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			input := c.String("input")
			if strings.TrimSpace(input) == "" {
				return errors.New("missing --input: give the backup folder to restore, such as --input ./backups/20261204-020000")
			}
			mode, err := restore.ParseMode(c.String("mode"))
			if err != nil {
				return fmt.Errorf("%w%s", err, fromEnvironment(c, "mode"))
			}
			var at time.Time
			if v := strings.TrimSpace(c.String("at")); v != "" {
				if at, err = time.Parse(time.RFC3339Nano, v); err != nil {
					return fmt.Errorf("invalid --at %q: give an RFC 3339 time such as 2026-12-04T09:30:00Z%s", v, fromEnvironment(c, "at"))
				}
			}
			if !at.IsZero() && c.String("backup") != "" {
				return errors.New("--at and --backup both select the backup to restore; give one of them")
			}
			names, err := tableList(c)
			if err != nil {
				return err
			}
			workers, err := parallel(c)
			if err != nil {
				return err
			}
			keys, verifyKey, err := readKeys(c)
			if err != nil {
				return err
			}
			types, err := legacyTypes(c)
			if err != nil {
				return err
			}
			svc, err := connect(env, c)
			if err != nil {
				return err
			}
			res, err := restore.Run(c.Context, restore.Options{
				TargetPrefix:    c.String("target-prefix"),
				TargetPrefixSet: c.IsSet("target-prefix"),
				Keys:            keys,
				VerifyKeys:      verifyKey,
				Service:         svc,
				Input:           input,
				At:              at,
				Backup:          strings.TrimSpace(c.String("backup")),
				Mode:            mode,
				Tables:          names,
				Parallel:        workers,
				LegacyTypes:     types,
				DryRun:          c.Bool("dry-run"),
				Stdout:          env.stdout,
				Log:             env.log,
			})
			logging.StopBars() // the report must not be drawn over
			if res != nil {
				printRestoreSummary(env, res)
			}
			if c.Context.Err() != nil {
				fmt.Fprintln(env.stdout, "INTERRUPTED: the restore did not finish; run the same command again to complete it")
			}
			var verr *manifest.VerificationError
			if errors.As(err, &verr) {
				printProblems(env, verr.Problems)
				return fmt.Errorf("%s failed verification with %d problem(s), listed on stdout; nothing was written. Restore from another backup, or from an unaltered copy of this one", input, len(verr.Problems))
			}
			var partial *restore.PartialError
			if errors.As(err, &partial) {
				printFailedEntities(env, partial.Failed)
			}
			return err
		},
	}
}
