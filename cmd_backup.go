package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/internal/logging"
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

With --incremental the folder is <yyyyMMdd-HHmmss>-incr and holds, per table, the
entities changed since that table's last backup (from the marks in
<output>/.lastbackup, minus --overlap) and the keys deleted since then. A table with
no mark is copied in full. Every backup also records each table's key set
(<Table>.keys.jsonl), from which the next incremental finds the deletes.

Without --tables the Authagonal table set is backed up. The transient tables
SamlReplayCache and OidcStateStore are left out, and so is SigningKeys, which holds
the JWT signing private key, unless --include-signing-keys is given.

With --encrypt-to, every file is encrypted with age to the recipients given
(<Table>.jsonl.gz.age), and --sign-key signs the manifest, whose hashes cover every
file (_manifest.json.sig). See docs/security.md.

EXAMPLES:
  authagonal-tables backup --output /backups --gzip
  authagonal-tables backup --output /backups --gzip --require-encryption --encrypt-to age1... --sign-key signing.key
  authagonal-tables backup --incremental --output /backups --gzip
  authagonal-tables backup --tables Users,Clients --output ./backups
  STORAGE_CONNECTION_STRING='UseDevelopmentStorage=true' authagonal-tables backup --dry-run

SCHEDULE, as a crontab: a full backup at 02:00 every day and an incremental every
hour in between. The job's environment must contain STORAGE_CONNECTION_STRING and
BACKUP_ENCRYPT_TO. With --require-encryption, a run without a recipient fails and
writes nothing.
  0 2 * * *         authagonal-tables backup --output /backups --gzip --require-encryption
  0 0-1,3-23 * * *  authagonal-tables backup --output /backups --gzip --require-encryption --incremental

` + commandExitCodesNoPartial,
		Flags: append(append(serviceFlags(),
			&cli.StringFlag{Name: "output", Value: "./backups", Usage: "`DIR` that receives the backup folder", EnvVars: []string{"BACKUP_OUTPUT"}},
			tablesFlag("back up exactly these tables instead of the Authagonal set; every one must exist", "BACKUP_TABLES"),
			&cli.BoolFlag{Name: "all-tables", Usage: "back up every table of the account (with --table-prefix, every table that has the prefix) instead of the Authagonal set", EnvVars: []string{"BACKUP_ALL_TABLES"}},
			prefixFlag(),
			&cli.BoolFlag{Name: "gzip", Usage: "compress each file with gzip (.jsonl.gz)", EnvVars: []string{"BACKUP_GZIP"}},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the tables and their entity counts; write nothing"},
			parallelFlag(backup.DefaultParallel, "`N` requests in flight at once (1 to 64), across the tables and the key ranges of large tables"),
			&cli.BoolFlag{Name: "incremental", Usage: "copy only the entities changed since each table's last backup, and the deletes", EnvVars: []string{"BACKUP_INCREMENTAL"}},
			&cli.DurationFlag{Name: "overlap", Value: backup.DefaultOverlap, Usage: "safety margin, a `DURATION` such as 5m, taken off each table's mark for clock differences between the service's nodes", EnvVars: []string{"BACKUP_OVERLAP"}},
			&cli.BoolFlag{Name: "no-track-deletes", Usage: "skip the key scan of an incremental; until a later incremental without this flag, a restore of the chain brings back entities deleted since the last key set", EnvVars: []string{"BACKUP_NO_TRACK_DELETES"}},
			&cli.BoolFlag{
				Name:    "include-signing-keys",
				Usage:   "also back up SigningKeys; the backup then contains the JWT signing private key",
				EnvVars: []string{"BACKUP_INCLUDE_SIGNING_KEYS", "Backup__IncludeSigningKeys"},
			},
		), encryptionFlags()...),
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			names, err := tableList(c)
			if err != nil {
				return err
			}
			overlap := c.Duration("overlap")
			if overlap < time.Second || overlap > 24*time.Hour {
				return fmt.Errorf("invalid --overlap %s: give a duration from 1s to 24h, such as 5m%s", overlap, fromEnvironment(c, "overlap"))
			}
			if !c.Bool("incremental") && (c.IsSet("overlap") || c.Bool("no-track-deletes")) {
				// Not an error: a cron environment may set BACKUP_OVERLAP for
				// the hourly incrementals and run the daily full in it too.
				env.log.Info().Msg("--overlap and --no-track-deletes apply to incremental backups only; ignored for this full backup")
			}
			workers, err := parallel(c)
			if err != nil {
				return err
			}
			keys, recipients, signKey, err := backupKeys(c)
			if err != nil {
				return err
			}
			if c.Bool("all-tables") && names != nil {
				return errors.New("--all-tables and --tables both choose the tables; give one of them")
			}
			svc, err := connect(env, c)
			if err != nil {
				return err
			}
			if svc, err = svc.WithPrefix(c.String("table-prefix")); err != nil {
				return fmt.Errorf("--table-prefix: %w%s", err, fromEnvironment(c, "table-prefix"))
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
				AllTables:          c.Bool("all-tables"),
				Codec:              cd,
				Keys:               keys,
				RecipientNames:     recipients,
				SignKey:            signKey,
				DryRun:             c.Bool("dry-run"),
				Incremental:        c.Bool("incremental"),
				Overlap:            overlap,
				NoTrackDeletes:     c.Bool("no-track-deletes"),
				Parallel:           workers,
				Stdout:             env.stdout,
				ToolVersion:        toolVersion(),
				Log:                env.log,
			})
			logging.StopBars() // the report must not be drawn over
			if res != nil {
				printBackupSummary(env, res)
			}
			return err
		},
	}
}
