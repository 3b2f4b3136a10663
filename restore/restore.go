// Package restore writes a verified backup back into Table Storage.
package restore

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/codec"
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
	// Input is a backup folder, or a folder of backups. From a folder of
	// backups the newest is restored, or the one At or Backup selects,
	// with every backup of its chain.
	Input string
	// At selects the newest backup that started at or before it.
	At time.Time
	// Backup selects a backup by id or folder name.
	Backup string
	Mode   Mode
	// Tables restores only these tables of the backup when non-nil.
	Tables []string
	// DryRun verifies the backup and prints what would be written and
	// deleted, without writing anything.
	DryRun bool
	// Parallel is the number of batches in flight at once, across tables;
	// zero means DefaultParallel.
	Parallel int
	// TargetPrefix, when TargetPrefixSet, is the table name prefix to
	// restore into; otherwise the backup's own prefix is used.
	TargetPrefix    string
	TargetPrefixSet bool
	// Keys.Identities decrypt an encrypted backup.
	Keys codec.Keys
	// VerifyKeys, when set, must include the key that signed the manifest of every backup
	// restored.
	VerifyKeys []ed25519.PublicKey
	// LegacyTypes chooses how the values of a backup of the .NET tool are
	// typed; empty means entity.LegacyInfer.
	LegacyTypes entity.LegacyTypes
	// Stdout receives the dry-run listing.
	Stdout io.Writer
	Log    zerolog.Logger
}

// TableResult is the outcome of restoring one table.
type TableResult struct {
	Table   string
	Written int64
	// Deleted counts the entities deleted: those a clean restore removed
	// first, and the deletes recorded by incremental backups.
	Deleted int64
	// Absent counts recorded deletes of entities the table did not hold.
	Absent int64
	Failed int64
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
	if f.File == "" {
		// An entity of the table itself, such as one a clean restore
		// could not delete.
		return fmt.Sprintf("table %q (%s): %s: %s", f.Table, f.Key, f.Code, f.Message)
	}
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

// Run verifies the backups to restore and then restores them. Nothing is
// written to the service, not even a table created, unless every selected
// file of every backup passed verification and a chain is whole. It
// returns a *manifest.VerificationError when verification fails and a
// *PartialError when some entities failed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	log := opts.Log
	src, err := resolve(opts, log)
	if err != nil {
		return nil, err
	}
	if opts.Service, err = targetService(opts, src, log); err != nil {
		return nil, err
	}
	names, err := src.selectTables(opts.Tables)
	if err != nil {
		return nil, err
	}
	if err := src.verify(ctx, names, opts, log); err != nil {
		return nil, err
	}

	if opts.DryRun {
		return nil, dryRun(ctx, opts, src, names)
	}

	start := time.Now()
	res, err := restoreTables(ctx, opts, src, names)
	if err != nil {
		return res, err
	}
	var written, deleted int64
	for _, t := range res.Tables {
		written += t.Written
		deleted += t.Deleted
	}
	log.Info().Int64("written", written).Int64("deleted", deleted).Int("failed", len(res.Failed)).Dur(logging.Duration, time.Since(start)).Msg("restore finished")
	if len(res.Failed) > 0 {
		return res, &PartialError{Failed: res.Failed}
	}
	return res, nil
}

// restoreTables restores the tables, as many at once as opts.Parallel, and
// all of them sharing opts.Parallel batches in flight. The first error
// that stops a table stops the others.
func restoreTables(parent context.Context, opts Options, src *source, names []string) (*Result, error) {
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	slots := newSlots(parallel)

	type outcome struct {
		result  TableResult
		failed  []FailedEntity
		err     error
		started bool
	}
	outcomes := make([]outcome, len(names))
	tablesAtOnce := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, name := range names {
		select {
		case tablesAtOnce <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		outcomes[i].started = true
		go func() {
			defer func() {
				<-tablesAtOnce
				wg.Done()
			}()
			o := &outcomes[i]
			o.result, o.failed, o.err = restoreTable(ctx, opts, src, name, slots)
			if o.err != nil {
				cancel(o.err)
			}
		}()
	}
	wg.Wait()

	res := &Result{}
	var firstErr error
	var firstTable string
	notStarted := 0
	for i, o := range outcomes {
		if !o.started {
			notStarted++
			continue
		}
		res.Tables = append(res.Tables, o.result)
		res.Failed = append(res.Failed, o.failed...)
		// The error of the table that failed first explains the others,
		// which stopped because of it.
		if o.err != nil && (firstErr == nil || errors.Is(context.Cause(ctx), o.err)) {
			firstErr, firstTable = o.err, names[i]
		}
	}
	sort.SliceStable(res.Failed, func(i, j int) bool {
		a, b := res.Failed[i], res.Failed[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	if firstErr == nil {
		return res, nil
	}
	if parent.Err() != nil {
		state := "are partly restored"
		if errors.Is(firstErr, errEmptying) {
			state = "are partly restored; a table being emptied for the clean restore has some of its entities deleted and none from the backup written yet"
		}
		return res, fmt.Errorf("restore interrupted: the tables started %s, and %d table(s) were not started; run the same restore command again to complete it: %w",
			state, notStarted, parent.Err())
	}
	var be *tables.BatchError
	if errors.As(firstErr, &be) && be.Unreachable {
		return res, fmt.Errorf("restore stopped: the tables started are partly restored and %d table(s) were not started; run the same restore command again once the service is reachable: %w",
			notStarted, firstErr)
	}
	return res, fmt.Errorf("restore stopped at table %q, and the other tables started with it are partly restored; run the same restore command again once the cause is fixed: %w", firstTable, firstErr)
}

// dryRun prints the backups that would be applied and, per table, the
// entities that would be written and deleted. It only reads.
func dryRun(ctx context.Context, opts Options, src *source, names []string) error {
	existing, err := opts.Service.ListTables(ctx)
	if err != nil {
		return err
	}
	exists := map[string]bool{}
	for _, name := range existing {
		exists[strings.ToLower(name)] = true
	}

	out := opts.Stdout
	into := opts.Service.Account().String()
	if p := opts.Service.Prefix(); p != "" {
		into += fmt.Sprintf(", tables prefixed %q", p)
	}
	fmt.Fprintf(out, "Dry run: restore of %s into %s, mode %s\n", opts.Input, into, opts.Mode)
	if !src.single || len(src.chain) > 1 || src.chain[0].Manifest.Mode == manifest.ModeIncremental {
		fmt.Fprintln(out, "Backups applied, in order:")
		for _, b := range src.chain {
			fmt.Fprintf(out, "  %-22s  %-11s  %s\n", b.ID(), b.Manifest.Mode, b.Manifest.BackupTimestamp.Format(time.RFC3339))
		}
	}
	fmt.Fprintf(out, "%-32s %12s %12s  %s\n", "TABLE", "WRITE", "DELETE", "NOTE")
	for _, name := range names {
		var notes []string
		var writes, deletes int64
		for _, b := range src.chain {
			if t, ok := b.table(name); ok {
				_, n := b.deletes(name)
				writes += t.EntityCount
				deletes += n
			}
		}
		switch {
		case !exists[strings.ToLower(name)]:
			notes = append(notes, "table would be created")
		case opts.Mode == Clean:
			n, err := opts.Service.CountEntities(ctx, name)
			if err != nil {
				return err
			}
			notes = append(notes, fmt.Sprintf("%d existing entities deleted first", n))
		}
		if deletes > 0 {
			notes = append(notes, "deletes recorded by incrementals, some may be absent already")
		}
		fmt.Fprintf(out, "%-32s %12d %12d  %s\n", name, writes, deletes, strings.Join(notes, "; "))
	}
	fmt.Fprintln(out, "Nothing was written.")
	return nil
}

var errChanged = errors.New("the file changed after it was verified; run the restore again")

// errEmptying marks an error that stopped a clean restore while it was
// deleting the table's entities.
var errEmptying = errors.New("emptying the table")

// targetService applies the table prefix that the restore writes into: the
// one given, or else the one the backup was taken with.
func targetService(opts Options, src *source, log zerolog.Logger) (*tables.Service, error) {
	prefix := src.chain[len(src.chain)-1].Manifest.TablePrefix
	if opts.TargetPrefixSet {
		prefix = opts.TargetPrefix
	}
	svc, err := opts.Service.WithPrefix(prefix)
	if err != nil {
		return nil, fmt.Errorf("--target-prefix: %w", err)
	}
	if prefix != "" {
		log.Info().Str("prefix", prefix).Msg("restoring into the tables with this prefix")
	}
	return svc, nil
}
