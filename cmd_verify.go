package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

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

EXAMPLES:
  authagonal-tables verify ./backups/20261204-020000
  authagonal-tables verify --json ./backups/20261204-020000 | jq .problems

` + commandExitCodes,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON on stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("verify takes exactly one argument, the backup folder, such as ./backups/20261204-020000; flags such as --json go before it")
			}
			dir := c.Args().First()
			report, err := manifest.Verify(c.Context, dir, manifest.VerifyOptions{})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				enc := json.NewEncoder(env.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(report); err != nil {
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
