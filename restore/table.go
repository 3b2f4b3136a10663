package restore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// pending is one entity on its way to the service, with where it came from.
type pending struct {
	op   tables.Operation
	line int64
	size int
}

// writer groups consecutive entities of one partition into batches and
// sends them. It records every entity the service rejects.
type writer struct {
	ctx    context.Context
	svc    *tables.Service
	table  string
	file   string
	log    zerolog.Logger
	action tables.Action

	batch    []pending
	size     int
	rows     map[string]bool
	result   TableResult
	failed   []FailedEntity
	progress *logging.Progress
}

// batchOverhead is a generous allowance for the framing of a batch body
// around its operations.
const batchOverhead = 1024

func (w *writer) add(e *entity.Entity, line int64) error {
	if err := e.Key().CheckWritable(); err != nil {
		w.fail(pending{op: tables.Operation{Entity: e}, line: line}, "InvalidKey", err.Error())
		return nil
	}
	op := tables.Operation{Action: w.action, Entity: e}
	p := pending{op: op, line: line, size: tables.OperationSize(w.svc.Account().Endpoint, w.table, op)}

	full := len(w.batch) == tables.MaxBatchOperations || w.size+p.size+batchOverhead > tables.MaxBatchBytes
	otherPartition := len(w.batch) > 0 && w.batch[0].op.Entity.PartitionKey != e.PartitionKey
	// A batch may not touch one entity twice. Sending the earlier line
	// first keeps the order of the file: the later line wins.
	repeated := w.rows[e.RowKey]
	if full || otherPartition || repeated {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.batch = append(w.batch, p)
	w.size += p.size
	w.rows[e.RowKey] = true
	return nil
}

// flush sends the current batch.
func (w *writer) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	err := w.send(w.batch)
	w.batch = w.batch[:0]
	w.size = 0
	clear(w.rows)
	return err
}

// send submits ops as one batch. A rejected batch applied none of its
// operations, so send records the failing operation and sends the others
// again. The service names the failing operation by its index. Where it
// does not, send splits the batch in halves until each failing entity is
// alone. A server error that persists through every retry fails every
// entity of the batch. An unreachable service stops the restore.
func (w *writer) send(ops []pending) error {
	if len(ops) == 0 {
		return nil
	}
	b := tables.NewBatch(w.table)
	for _, p := range ops {
		b.Add(w.svc.Account().Endpoint, p.op)
	}
	err := w.svc.SubmitBatch(w.ctx, b)
	if err == nil {
		w.result.Written += int64(len(ops))
		w.log.Debug().Int("operations", len(ops)).Msg("batch written")
		if w.progress != nil {
			w.progress.Add(int64(len(ops)))
		}
		return nil
	}
	if w.ctx.Err() != nil {
		return w.ctx.Err()
	}

	// An unreachable service fails every later batch the same way, after
	// a full round of retries each, so the restore stops instead.
	var be *tables.BatchError
	if errors.As(err, &be) && be.Unreachable {
		return err
	}
	if !errors.As(err, &be) || be.StatusCode >= 500 {
		for _, p := range ops {
			w.fail(p, errorCode(err), err.Error())
		}
		return nil
	}
	if be.Index >= 0 && be.Index < len(ops) {
		if absent(ops[be.Index], be) {
			// A recorded delete of an entity the table does not hold, as
			// when it was created and deleted between two backups: the
			// table is already as the backup wants it.
			w.result.Absent++
		} else {
			w.fail(ops[be.Index], be.Code, be.Message)
		}
		rest := append(append([]pending{}, ops[:be.Index]...), ops[be.Index+1:]...)
		return w.send(rest)
	}
	if len(ops) == 1 {
		if absent(ops[0], be) {
			w.result.Absent++
			return nil
		}
		w.fail(ops[0], be.Code, be.Message)
		return nil
	}
	half := len(ops) / 2
	if err := w.send(ops[:half]); err != nil {
		return err
	}
	return w.send(ops[half:])
}

// absent reports whether the service rejected a delete because the entity
// does not exist.
func absent(p pending, be *tables.BatchError) bool {
	return p.op.Action == tables.Delete && be.Code == "ResourceNotFound"
}

func errorCode(err error) string {
	var se *tables.ServiceError
	if errors.As(err, &se) && se.Code != "" {
		return se.Code
	}
	var be *tables.BatchError
	if errors.As(err, &be) && be.Code != "" {
		return be.Code
	}
	return "RequestFailed"
}

func (w *writer) fail(p pending, code, message string) {
	f := FailedEntity{Table: w.table, File: w.file, Line: p.line, Key: p.op.Entity.Key(), Code: code, Message: message}
	w.failed = append(w.failed, f)
	w.result.Failed++
	w.log.Error().Int64(logging.Line, p.line).Str("partition_key", f.Key.PartitionKey).Str("row_key", f.Key.RowKey).
		Str(logging.Code, code).Msg("entity not written: " + message)
}

// restoreTable restores one verified table: it creates the table if
// needed, empties it in clean mode, then applies each backup of the chain
// that holds it: its entities, then its deletes.
func restoreTable(ctx context.Context, opts Options, src *source, table string) (TableResult, []FailedEntity, error) {
	start := time.Now()
	log := opts.Log.With().Str(logging.Table, table).Logger()
	var total int64
	for _, s := range src.chain {
		if t, ok := s.table(table); ok {
			total += t.EntityCount + t.DeletedCount
		}
	}
	log.Info().Int64(logging.Entities, total).Str(logging.Mode, string(opts.Mode)).Msg("table restore started")

	result := TableResult{Table: table}
	if err := opts.Service.CreateTable(ctx, table); err != nil {
		return result, nil, err
	}
	if opts.Mode == Clean {
		deleted, err := deleteAll(ctx, opts.Service, table, log)
		result.Deleted = deleted
		if err != nil {
			return result, nil, fmt.Errorf("%w: %w", errEmptying, err)
		}
	}

	action := tables.Upsert
	if opts.Mode == Merge {
		action = tables.Merge
	}
	progress := logging.NewProgress(log, "table restore in progress", total)
	var failed []FailedEntity
	for _, s := range src.chain {
		info, ok := s.table(table)
		if !ok {
			continue
		}
		files := []fileAction{{info.File, action}}
		if info.DeletedFile != "" {
			files = append(files, fileAction{info.DeletedFile, tables.Delete})
		}
		for _, f := range files {
			w := &writer{
				ctx: ctx, svc: opts.Service, table: table, file: src.file(s, f.name), log: log, action: f.action,
				rows: map[string]bool{}, progress: progress,
			}
			err := writeFile(s.Dir, f.name, s.Manifest.FileHashes[f.name], w)
			if err == nil {
				err = w.flush()
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

// writeFile streams the entities of a data file into w. The file was
// verified already; it is hashed again on the way, and a different hash
// stops the restore.
func writeFile(dir, name, wantSum string, w *writer) error {
	d, err := manifest.OpenData(dir, name)
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
	if d.Sum() != wantSum {
		return fmt.Errorf("%s: %w", name, errChanged)
	}
	return nil
}

// deleteAll deletes every entity of table with batched deletes, reading
// keys only. It returns the number deleted.
func deleteAll(ctx context.Context, svc *tables.Service, table string, log zerolog.Logger) (int64, error) {
	var deleted int64
	var failed []FailedEntity
	err := svc.Query(ctx, table, tables.KeysOnly, func(p tables.Page) error {
		w := &writer{ctx: ctx, svc: svc, table: table, log: log, action: tables.Delete, rows: map[string]bool{}}
		for _, e := range p.Entities {
			if err := w.add(e, 0); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		deleted += w.result.Written
		failed = append(failed, w.failed...)
		return nil
	})
	if err != nil {
		return deleted, fmt.Errorf("clean table %q: %w", table, err)
	}
	if len(failed) > 0 {
		return deleted, fmt.Errorf("clean table %q: %d entities could not be deleted, first %s; nothing was restored into this table", table, len(failed), failed[0])
	}
	log.Info().Int64("deleted", deleted).Msg("table emptied for clean restore")
	return deleted, nil
}
