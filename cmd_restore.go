package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
)

func restoreCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "restore",
		Usage:           "verify a backup folder, then write it into an account",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables restore --input DIR [flags]",
		Description: `Verifies the backup first, with the same checks as verify, and writes nothing, not even
a table, unless it passes. Then creates missing tables and writes the entities in
entity group transactions.

Modes:
  upsert  insert each entity, or replace an existing one whole (default)
  merge   insert each entity, or merge its properties into an existing one
  clean   delete every entity of each restored table, then insert

An entity the service rejects is named (table, file, line, keys, error code) and the
others are still written; the command then exits 2.

EXAMPLES:
  authagonal-tables restore --input ./backups/20261204-020000
  authagonal-tables restore --input ./backups/20261204-020000 --tables Users,UserEmails --mode merge
  authagonal-tables restore --input ./backups/20261204-020000 --mode clean --dry-run

` + commandExitCodes,
		Flags: append(serviceFlags(),
			&cli.StringFlag{Name: "input", Usage: "backup folder `DIR` to restore", EnvVars: []string{"RESTORE_INPUT"}},
			&cli.StringFlag{Name: "mode", Value: string(restore.Upsert), Usage: "`MODE` for entities that exist already: upsert, merge or clean", EnvVars: []string{"RESTORE_MODE"}},
			tablesFlag("restore only these tables of the backup"),
			&cli.BoolFlag{Name: "dry-run", Usage: "verify and print what would be written and deleted; write nothing"},
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
			names, err := tableList(c)
			if err != nil {
				return err
			}
			svc, err := connect(env, c)
			if err != nil {
				return err
			}
			res, err := restore.Run(c.Context, restore.Options{
				Service: svc,
				Input:   input,
				Mode:    mode,
				Tables:  names,
				DryRun:  c.Bool("dry-run"),
				Stdout:  env.stdout,
				Log:     env.log,
			})
			if res != nil {
				printRestoreSummary(env, res)
			}
			if c.Context.Err() != nil {
				fmt.Fprintln(env.stdout, "INTERRUPTED: the restore did not finish; run the same command again to complete it")
			}
			var verr *manifest.VerificationError
			if errors.As(err, &verr) {
				printProblems(env, verr.Problems)
				return fmt.Errorf("backup %s failed verification with %d problem(s), listed on stdout; nothing was written. Restore from another backup, or from an unaltered copy of this one", input, len(verr.Problems))
			}
			var partial *restore.PartialError
			if errors.As(err, &partial) {
				printFailedEntities(env, partial.Failed)
			}
			return err
		},
	}
}
