package restore

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/tables"
)

// restoreTable restores one verified table: it creates the table if
// needed, empties it in clean mode, then applies each backup of the chain
// that holds it: its entities, then its deletes.
func restoreTable(ctx context.Context, opts Options, src *source, table string, slots slots) (TableResult, []FailedEntity, error) {
	start := time.Now()
	log := opts.Log.With().Str(logging.Table, table).Logger()
	var total int64
	for _, s := range src.chain {
		if t, ok := s.table(table); ok {
			_, deletes := s.deletes(table)
			total += t.EntityCount + deletes
		}
	}
	log.Info().Int64(logging.Entities, total).Str(logging.Mode, string(opts.Mode)).Msg("table restore started")

	result := TableResult{Table: table}
	if err := opts.Service.CreateTable(ctx, table); err != nil {
		return notRestored(ctx, opts, src, table, result, err, log)
	}
	if opts.Mode == Clean {
		deleted, err := deleteAll(ctx, opts.Service, table, slots, log)
		result.Deleted = deleted
		if err != nil {
			return notRestored(ctx, opts, src, table, result, fmt.Errorf("%w: %w", errEmptying, err), log)
		}
	}

	action := tables.Upsert
	if opts.Mode == Merge {
		action = tables.Merge
	}
	progress := logging.NewProgress(log, "table restore in progress", table, total)
	defer progress.Done()
	var failed []FailedEntity
	for _, s := range src.chain {
		info, ok := s.table(table)
		if !ok {
			continue
		}
		var files []fileAction
		if info.File != "" {
			files = append(files, fileAction{info.File, action})
		}
		if name, _ := s.deletes(table); name != "" {
			files = append(files, fileAction{name, tables.Delete})
		}
		for _, f := range files {
			w := &writer{
				ctx: ctx, svc: opts.Service, table: table, file: src.file(s, f.name), log: log, action: f.action,
				slots: slots, progress: progress,
			}
			// Every batch of a file ends before the next file starts, so
			// that the deletes of a backup, and the next backup, come after
			// its entities.
			err := writeFile(s, table, f.name, opts.Keys, opts.LegacyTypes, w)
			if ferr := w.finish(); err == nil {
				err = ferr
			}
			result.Failed += w.result.Failed
			result.Absent += w.result.Absent
			if f.action == tables.Delete {
				result.Deleted += w.result.Written
			} else {
				result.Written += w.result.Written
			}
			failed = append(failed, w.failed...)
			if err != nil {
				return result, failed, fmt.Errorf("restore table %q from %s: %w", table, src.file(s, f.name), err)
			}
		}
	}
	log.Info().Int64("written", result.Written).Int64("deleted", result.Deleted).Int64("absent", result.Absent).Int64("failed", result.Failed).
		Dur(logging.Duration, time.Since(start)).Msg("table restore finished")
	return result, failed, nil
}

// fileAction is a file of a backup and the write each of its lines makes.
type fileAction struct {
	name   string
	action tables.Action
}

// writeFile streams the entities of table in a data file of s into w.
// The file was verified already; it is hashed again on the way, and a
// different hash stops the restore. A file of a .NET tool backup whose manifest records
// no hash cannot be checked again; verify warned about it.
func writeFile(s *step, table, name string, keys codec.Keys, legacyTypes entity.LegacyTypes, w *writer) error {
	wantSum := s.Manifest.FileHashes[name]
	d, err := openData(s, table, name, keys, legacyTypes)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		e, line, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errChanged, err)
		}
		if err := w.add(e, line); err != nil {
			return err
		}
	}
	if d.Sum() != wantSum && (wantSum != "" || s.Manifest.Legacy == nil) {
		return fmt.Errorf("%s: %w", name, errChanged)
	}
	return nil
}

// deleteAll deletes every entity of table with batched deletes, several
// at once, reading keys only. It returns the number deleted.
func deleteAll(ctx context.Context, svc *tables.Service, table string, slots slots, log zerolog.Logger) (int64, error) {
	w := &writer{ctx: ctx, svc: svc, table: table, log: log, action: tables.Delete, slots: slots}
	err := svc.Query(ctx, table, tables.KeysOnly, func(p tables.Page) error {
		for _, e := range p.Entities {
			if err := w.add(e, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if ferr := w.finish(); err == nil {
		err = ferr
	}
	deleted := w.result.Written
	if err != nil {
		return deleted, fmt.Errorf("clean table %q: %w", table, err)
	}
	if len(w.failed) > 0 {
		return deleted, fmt.Errorf("clean table %q: %w: %d of them, first %s; nothing was restored into this table", table, errUndeletable, len(w.failed), w.failed[0])
	}
	log.Info().Int64("deleted", deleted).Msg("table emptied for clean restore")
	return deleted, nil
}
