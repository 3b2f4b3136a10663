// Package restore writes a verified backup back into Table Storage.
package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// Mode is the write mode of a restore: the rule for entities that exist
// in the table already.
type Mode string

// Restore modes.
const (
	// Upsert inserts each entity or replaces an existing one whole.
	Upsert Mode = "upsert"
	// Merge inserts each entity or merges its properties into an existing
	// one, keeping properties the backup does not have.
	Merge Mode = "merge"
	// Clean deletes every entity of each restored table, then inserts.
	Clean Mode = "clean"
)

// ParseMode parses a --mode value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Upsert, Merge, Clean:
		return m, nil
	}
	return "", fmt.Errorf("invalid --mode %q: expected upsert, merge or clean", s)
}

// Options configure one restore.
type Options struct {
	Service *tables.Service
	// Input is the backup folder.
	Input string
	Mode  Mode
	// Tables restores only these tables of the backup when non-nil.
	Tables []string
	// DryRun verifies the backup and prints what would be written and
	// deleted, without writing anything.
	DryRun bool
	// Stdout receives the dry-run listing.
	Stdout io.Writer
	Log    zerolog.Logger
}

// TableResult is the outcome of restoring one table.
type TableResult struct {
	Table   string
	Written int64
	Deleted int64
	Failed  int64
}

// Result describes a finished restore.
type Result struct {
	Tables []TableResult
	Failed []FailedEntity
}

// FailedEntity is an entity that was not written.
type FailedEntity struct {
	Table string
	File  string
	Line  int64
	Key   entity.Key
	// Code is the service's error code, or "InvalidKey" for a key rejected
	// before sending.
	Code    string
	Message string
}

func (f FailedEntity) String() string {
	return fmt.Sprintf("table %q, %s line %d (%s): %s: %s", f.Table, f.File, f.Line, f.Key, f.Code, f.Message)
}

// PartialError is returned when the restore finished but some entities
// were not written. Each is listed in Failed.
type PartialError struct {
	Failed []FailedEntity
}

// maxListed caps the failed entities named in the error message. Each one
// is logged, and the command prints all of them on stdout.
const maxListed = 5

func (e *PartialError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "restore finished, but %d entit%s could not be written:", len(e.Failed), plural(len(e.Failed), "y", "ies"))
	for i, f := range e.Failed {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  ... and %d more, each listed on stdout and in the log", len(e.Failed)-maxListed)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(f.String())
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Run verifies the backup in opts.Input and then restores it. Nothing is
// written to the service, not even a table created, unless every selected
// file passed verification. It returns a *manifest.VerificationError when
// verification fails and a *PartialError when some entities failed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Log
	m, err := manifest.Read(opts.Input)
	if err != nil {
		return nil, err
	}
	names, err := m.SelectTables(opts.Tables)
	if err != nil {
		return nil, err
	}

	log.Info().Str(logging.Dir, opts.Input).Strs("tables", names).Msg("verifying backup before restore")
	report, err := manifest.Verify(ctx, opts.Input, manifest.VerifyOptions{Tables: names})
	if err != nil {
		return nil, err
	}
	if err := report.Err(); err != nil {
		return nil, err
	}
	log.Info().Int("tables", len(names)).Msg("backup verified")

	if opts.DryRun {
		return nil, dryRun(ctx, opts, m, names)
	}

	start := time.Now()
	res := &Result{}
	for i, name := range names {
		tr, failed, err := restoreTable(ctx, opts, m, name)
		res.Tables = append(res.Tables, tr)
		res.Failed = append(res.Failed, failed...)
		if err != nil && ctx.Err() != nil {
			state := "is partly restored"
			if errors.Is(err, errEmptying) {
				state = "was being emptied for the clean restore: some of its entities are deleted and none from the backup are written yet"
			}
			// NOTE: the batch in flight when the signal arrived may have
			// been applied although it is not counted.
			return res, fmt.Errorf("restore interrupted: table %q %s, and %d table(s) after it were not started; run the same restore command again to complete it: %w",
				name, state, len(names)-i-1, ctx.Err())
		}
		var be *tables.BatchError
		if errors.As(err, &be) && be.Unreachable {
			return res, fmt.Errorf("restore stopped: table %q is partly restored and %d table(s) after it were not started; run the same restore command again once the service is reachable: %w",
				name, len(names)-i-1, err)
		}
		if err != nil {
			return res, err
		}
	}
	var written int64
	for _, t := range res.Tables {
		written += t.Written
	}
	log.Info().Int64("written", written).Int("failed", len(res.Failed)).Dur(logging.Duration, time.Since(start)).Msg("restore finished")
	if len(res.Failed) > 0 {
		return res, &PartialError{Failed: res.Failed}
	}
	return res, nil
}

// dryRun prints, per table, the entities that would be written and, in
// clean mode, those that would be deleted first. It only reads.
func dryRun(ctx context.Context, opts Options, m *manifest.Manifest, names []string) error {
	existing, err := opts.Service.ListTables(ctx)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, name := range existing {
		exists[strings.ToLower(name)] = true
	}

	out := opts.Stdout
	fmt.Fprintf(out, "Dry run: restore of %s into %s, mode %s\n", opts.Input, opts.Service.Account(), opts.Mode)
	fmt.Fprintf(out, "%-32s %12s %12s  %s\n", "TABLE", "WRITE", "DELETE", "NOTE")
	for _, name := range names {
		note := ""
		var deletes int64
		switch {
		case !exists[strings.ToLower(name)]:
			note = "table would be created"
		case opts.Mode == Clean:
			deletes, err = opts.Service.CountEntities(ctx, name)
			if err != nil {
				return err
			}
		}
		fmt.Fprintf(out, "%-32s %12d %12d  %s\n", name, m.Tables[name].EntityCount, deletes, note)
	}
	fmt.Fprintln(out, "Nothing was written.")
	return nil
}

var errChanged = errors.New("the file changed after it was verified; run the restore again")

// errEmptying marks an error that stopped a clean restore while it was
// deleting the table's entities.
var errEmptying = errors.New("emptying the table")
