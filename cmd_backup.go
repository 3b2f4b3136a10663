package main

import (
	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
)

func backupCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "backup",
		Usage:           "copy tables into a new timestamped backup folder",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables backup [flags]",
		Description: `Writes <output>/<yyyyMMdd-HHmmss>/ (UTC) with one <Table>.jsonl or <Table>.jsonl.gz
file per table and _manifest.json, which records the entity counts and the SHA-256
of every file. The folder is built under a temporary name and renamed into place
after the manifest is written, so a folder with a manifest is always complete.

Without --tables the Authagonal table set is backed up. The transient tables
SamlReplayCache and OidcStateStore are left out, and so is SigningKeys, which holds
the JWT signing private key, unless --include-signing-keys is given.

EXAMPLES:
  authagonal-tables backup --output /backups --gzip
  authagonal-tables backup --tables Users,Clients --output ./backups
  STORAGE_CONNECTION_STRING='UseDevelopmentStorage=true' authagonal-tables backup --dry-run

` + commandExitCodes,
		Flags: append(serviceFlags(),
			&cli.StringFlag{Name: "output", Value: "./backups", Usage: "`DIR` that receives the backup folder", EnvVars: []string{"BACKUP_OUTPUT"}},
			tablesFlag("back up exactly these tables instead of the Authagonal set; every one must exist"),
			&cli.BoolFlag{Name: "gzip", Usage: "compress each file with gzip (.jsonl.gz)", EnvVars: []string{"BACKUP_GZIP"}},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the tables and their entity counts; write nothing"},
			&cli.BoolFlag{
				Name:    "include-signing-keys",
				Usage:   "also back up SigningKeys; the backup then contains the JWT signing private key",
				EnvVars: []string{"BACKUP_INCLUDE_SIGNING_KEYS", "Backup__IncludeSigningKeys"},
			},
		),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			names, err := tableList(c)
			if err != nil {
				return err
			}
			svc, err := connect(env, c)
			if err != nil {
				return err
			}
			name := codec.NameJSONL
			if c.Bool("gzip") {
				name = codec.NameJSONLGzip
			}
			cd, err := codec.ByName(name)
			if err != nil {
				return err
			}
			res, err := backup.Run(c.Context, backup.Options{
				Service:            svc,
				Output:             c.String("output"),
				Tables:             names,
				IncludeSigningKeys: c.Bool("include-signing-keys"),
				Codec:              cd,
				DryRun:             c.Bool("dry-run"),
				Stdout:             env.stdout,
				ToolVersion:        toolVersion(),
				Log:                env.log,
			})
			if err != nil {
				return err
			}
			if res != nil {
				printBackupSummary(env, res)
			}
			return nil
		},
	}
}
