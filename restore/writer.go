package restore

import (
	"context"
	"errors"
	"sync"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/tables"
)

// DefaultParallel is the default number of batches in flight at once. A
// batch holds one partition, and many tables have a partition per user, so
// batches are often small and a restore needs many in flight to hide the
// round trip.
const DefaultParallel = 32

// pending is one entity on its way to the service, with where it came from.
type pending struct {
	op   tables.Operation
	line int64
	size int
}

// slots bounds the batches in flight across every table of a restore.
type slots chan struct{}

func newSlots(n int) slots {
	if n < 1 {
		n = 1
	}
	return make(slots, n)
}

// writer groups consecutive entities of one partition into batches and
// sends them, several at once. It records every entity the service
// rejects.
//
// Batches run concurrently, so their order is kept only where it matters:
// for one key. While the keys of the file rise strictly, as backup writes
// them, no key can come twice, and any batches may overlap. A key that
// does not rise may repeat an earlier one, so the writer first waits for
// every batch in flight. The later line then wins, as in a sequential
// restore.
type writer struct {
	ctx    context.Context
	svc    *tables.Service
	table  string
	file   string
	log    zerolog.Logger
	action tables.Action
	slots  slots

	batch   []pending
	size    int
	last    entity.Key
	started bool

	inflight sync.WaitGroup
	mu       sync.Mutex // guards the fields below
	result   TableResult
	failed   []FailedEntity
	// err is the first error that stops the writer, such as an
	// unreachable service.
	err      error
	progress *logging.Progress
}

// batchOverhead is a generous allowance for the framing of a batch body
// around its operations.
const batchOverhead = 1024

// add queues one entity. It returns an error that stops the restore: one
// from an earlier batch, or the end of the context.
func (w *writer) add(e *entity.Entity, line int64) error {
	if err := w.stopped(); err != nil {
		return err
	}
	if err := e.Key().CheckWritable(); err != nil {
		w.fail(pending{op: tables.Operation{Entity: e}, line: line}, "InvalidKey", err.Error())
		return nil
	}
	op := tables.Operation{Action: w.action, Entity: e}
	p := pending{op: op, line: line, size: tables.OperationSize(w.svc.Account().Endpoint, w.table, op)}

	key := e.Key()
	rising := !w.started || keyLess(w.last, key)
	w.last, w.started = key, true
	full := len(w.batch) == tables.MaxBatchOperations || w.size+p.size+batchOverhead > tables.MaxBatchBytes
	otherPartition := len(w.batch) > 0 && w.batch[0].op.Entity.PartitionKey != e.PartitionKey
	if full || otherPartition || !rising {
		w.flush()
	}
	if !rising {
		// The key may repeat an earlier line. Waiting for every batch in
		// flight keeps the order of the file: the later line wins.
		if err := w.wait(); err != nil {
			return err
		}
	}
	w.batch = append(w.batch, p)
	w.size += p.size
	return nil
}

func keyLess(a, b entity.Key) bool {
	if a.PartitionKey != b.PartitionKey {
		return a.PartitionKey < b.PartitionKey
	}
	return a.RowKey < b.RowKey
}

// flush starts sending the current batch as soon as a slot is free.
func (w *writer) flush() {
	if len(w.batch) == 0 {
		return
	}
	ops := w.batch
	w.batch = make([]pending, 0, tables.MaxBatchOperations)
	w.size = 0
	select {
	case w.slots <- struct{}{}:
	case <-w.ctx.Done():
		w.stop(w.ctx.Err())
		return
	}
	w.inflight.Add(1)
	go func() {
		defer func() {
			<-w.slots
			w.inflight.Done()
		}()
		if err := w.send(ops); err != nil {
			w.stop(err)
		}
	}()
}

// wait waits for every batch in flight and returns the error that
// stopped the writer, if any.
func (w *writer) wait() error {
	w.inflight.Wait()
	return w.stopped()
}

// finish sends the last batch and waits for every batch.
func (w *writer) finish() error {
	w.flush()
	return w.wait()
}

func (w *writer) stop(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = err
	}
}

func (w *writer) stopped() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.ctx.Err()
}

// send submits ops as one batch. A rejected batch applied none of its
// operations, so send records the failing operation and sends the others
// again. The service names the failing operation by its index. Where it
// does not, send splits the batch in halves until each failing entity is
// alone. A server error that persists through every retry fails every
// entity of the batch, and so does a batch that got no response from a
// service that still responds to other requests. An unreachable service stops
// the restore.
func (w *writer) send(ops []pending) error {
	if len(ops) == 0 {
		return nil
	}
	b := tables.NewBatch(w.svc.TableName(w.table))
	for _, p := range ops {
		b.Add(w.svc.Account().Endpoint, p.op)
	}
	// A batch once started is finished, with its retries, even after an
	// interruption, so that the counts printed at the end are exact and
	// the service never holds a batch the summary leaves out. Only new
	// batches stop.
	err := w.svc.SubmitBatch(context.WithoutCancel(w.ctx), b)
	if err == nil {
		w.mu.Lock()
		w.result.Written += int64(len(ops))
		w.mu.Unlock()
		w.log.Debug().Int("operations", len(ops)).Msg("batch written")
		if w.progress != nil {
			w.progress.Add(int64(len(ops)))
		}
		return nil
	}
	// An unreachable service fails every later batch the same way, after
	// a full round of retries each, so the restore stops instead. A
	// service that still responds to another request failed this batch only,
	// as it does with a server error.
	var be *tables.BatchError
	isBatchError := errors.As(err, &be)
	if isBatchError && be.Unreachable && !w.svc.Reachable(w.ctx) {
		return err
	}
	// NOTE: Azurite 3.35.0 rejects with InvalidInput every batch whose
	// request line has U+2028 or U+2029 in a key, even percent-encoded.
	// There such a delete fails and is named, although a single request
	// would work.
	if !isBatchError || be.Unreachable || be.StatusCode >= 500 {
		code := errorCode(err)
		if isBatchError && be.Unreachable {
			code = codeNoResponse
		}
		for _, p := range ops {
			w.fail(p, code, err.Error())
		}
		return nil
	}
	if be.Index >= 0 && be.Index < len(ops) {
		if absent(ops[be.Index], be) {
			// A recorded delete of an entity the table does not hold, as
			// when it was created and deleted between two backups: the
			// table is already as the backup wants it.
			w.countAbsent()
		} else {
			w.fail(ops[be.Index], be.Code, be.Message)
		}
		rest := append(append([]pending{}, ops[:be.Index]...), ops[be.Index+1:]...)
		return w.send(rest)
	}
	if len(ops) == 1 {
		if absent(ops[0], be) {
			w.countAbsent()
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

func (w *writer) countAbsent() {
	w.mu.Lock()
	w.result.Absent++
	w.mu.Unlock()
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
	w.mu.Lock()
	w.failed = append(w.failed, f)
	w.result.Failed++
	w.mu.Unlock()
	w.log.Error().Int64(logging.Line, p.line).Str("partition_key", f.Key.PartitionKey).Str("row_key", f.Key.RowKey).
		Str(logging.Code, code).Msg("entity not written: " + message)
}
