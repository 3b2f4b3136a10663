package main

import (
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
)

func verifyCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "verify",
		Usage:           "check that a backup folder is complete and unaltered, without contacting Azure",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables verify [--json] DIR",
		Description: `Checks the manifest, the SHA-256 of every file, that no data file is missing or
unlisted, that every file decodes to its end, that every line is a valid entity with
valid typed values, that no key appears twice in a table and that the entity counts
match. Every problem found is reported, then the command exits 1 if there was any.

A backup of the original Authagonal .NET backup tool is read too: its types are
inferred as --legacy-types sets, and a manifest without file hashes is reported as
INTEGRITY NOT PROVEN. docs/migrating.md describes what is read.

DIR may also be a folder of backups (the backup --output). Then every backup in it
is verified, and every chain: each incremental's parent must be present and complete,
and each table copied incrementally must follow the previous backup of that table
without a gap. Folders of backups that did not finish are listed, not failed.

EXAMPLES:
  authagonal-tables verify ./backups/20261204-020000
  authagonal-tables verify --json ./backups/20261204-020000 | jq .problems
  authagonal-tables verify ./backups

` + commandExitCodesNoPartial,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"},
			identityFlag("decrypts an encrypted backup so that its content is checked too; without it only the hashes of encrypted files are checked"),
			verifyKeyFlag(),
			legacyTypesFlag(),
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("verify takes exactly one argument, the backup folder, such as ./backups/20261204-020000; flags such as --json go before it")
			}
			dir := c.Args().First()
			keys, verifyKey, err := readKeys(c)
			if err != nil {
				return err
			}
			types, err := legacyTypes(c)
			if err != nil {
				return err
			}
			opts := manifest.VerifyOptions{Keys: keys, VerifyKeys: verifyKey, LegacyTypes: types}
			if isFolderOfBackups(dir) {
				return verifyFolder(c, env, dir, opts)
			}
			opts.Progress = verifyProgress(env)
			report, err := manifest.Verify(c.Context, dir, opts)
			if err != nil {
				return err
			}
			logging.StopBars() // the report must not be drawn over
			logWarnings(env, report.Warnings)
			if c.Bool("json") {
				if err := printJSON(env, report); err != nil {
					return err
				}
			} else {
				printVerifyReport(env, report)
			}
			if !report.OK() {
				return fmt.Errorf("backup %s failed verification with %d problem(s); see the report on stdout", dir, len(report.Problems))
			}
			return nil
		},
	}
}

// isFolderOfBackups reports whether dir holds backups rather than being
// one.
func isFolderOfBackups(dir string) bool {
	if manifest.IsBackup(dir) {
		return false
	}
	entries, err := manifest.Scan(dir)
	return err == nil && len(entries) > 0
}

func verifyFolder(c *cli.Context, env *environment, dir string, opts manifest.VerifyOptions) error {
	report, err := manifest.VerifyFolder(c.Context, dir, opts)
	if err != nil {
		return err
	}
	for _, w := range report.Warnings {
		env.log.Warn().Msg(w)
	}
	if c.Bool("json") {
		if err := printJSON(env, report); err != nil {
			return err
		}
	} else {
		printFolderReport(env, report)
	}
	if !report.OK() {
		return fmt.Errorf("%s failed verification with %d problem(s); see the report on stdout", dir, report.ProblemCount())
	}
	return nil
}

// verifyProgress returns the progress hook of verify: a bar per table on
// a terminal, and a log line every 10 seconds otherwise.
func verifyProgress(env *environment) func(string, int64) (func(int64), func()) {
	return func(table string, lines int64) (func(int64), func()) {
		p := logging.NewProgress(env.log.With().Str(logging.Table, table).Logger(), "table verification in progress", table, lines)
		return p.Add, p.Done
	}
}
