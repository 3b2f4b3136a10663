package sampledata

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// Writers is the number of batches that Write sends at the same time.
const Writers = 4

// Stats counts the tables that Write created or found, and the entities and
// batches that it wrote.
type Stats struct {
	Tables   int
	Entities int
	Batches  int
}

// Seed generates the data set for opts and writes it with Write.
func Seed(ctx context.Context, svc *tables.Service, opts Options) (Stats, error) {
	return Write(ctx, svc, Generate(opts))
}

// Write creates every table of set, unless it exists, and upserts its
// entities in entity group transactions: one PartitionKey per batch, at
// most tables.MaxBatchOperations operations and tables.MaxBatchBytes bytes,
// with Writers batches in flight. It stops at the first failed batch and
// returns its error. Batches already sent stay written, so Stats then
// counts only what completed.
func Write(ctx context.Context, svc *tables.Service, set map[string][]*entity.Entity) (Stats, error) {
	var stats Stats
	var plans []batchPlan
	endpoint := svc.Account().Endpoint
	for _, name := range slices.Sorted(maps.Keys(set)) {
		if err := svc.CreateTable(ctx, name); err != nil {
			return stats, err
		}
		stats.Tables++
		plans = append(plans, planBatches(endpoint, name, set[name])...)
	}

	sent, err := sendBatches(ctx, svc, plans)
	for _, p := range sent {
		stats.Batches++
		stats.Entities += len(p.entities)
	}
	return stats, err
}

// batchPlan is the entities of one batch, all of one table and one
// PartitionKey.
type batchPlan struct {
	table    string
	entities []*entity.Entity
}

// planBatches splits the entities of one table into batches within the
// service's limits, keeping the order of the entities within each
// PartitionKey.
func planBatches(endpoint, table string, entities []*entity.Entity) []batchPlan {
	var order []string
	byPartition := make(map[string][]*entity.Entity)
	for _, e := range entities {
		if _, ok := byPartition[e.PartitionKey]; !ok {
			order = append(order, e.PartitionKey)
		}
		byPartition[e.PartitionKey] = append(byPartition[e.PartitionKey], e)
	}

	// An empty batch body is its framing: the same for every batch, so
	// measuring one is enough.
	emptySize := tables.NewBatch(table).Size()
	var plans []batchPlan
	for _, pk := range order {
		current := batchPlan{table: table}
		size := emptySize
		for _, e := range byPartition[pk] {
			opSize := tables.OperationSize(endpoint, table, tables.Operation{Action: tables.Upsert, Entity: e})
			full := len(current.entities) == tables.MaxBatchOperations || size+opSize > tables.MaxBatchBytes
			if full && len(current.entities) > 0 {
				plans = append(plans, current)
				current = batchPlan{table: table}
				size = emptySize
			}
			current.entities = append(current.entities, e)
			size += opSize
		}
		plans = append(plans, current)
	}
	return plans
}

// sendBatches submits the plans with Writers goroutines and returns the
// plans that the service accepted. After the first error it sends no
// further batch and returns that error.
func sendBatches(ctx context.Context, svc *tables.Service, plans []batchPlan) ([]batchPlan, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	queue := make(chan batchPlan)
	var (
		mu       sync.Mutex
		sent     []batchPlan
		firstErr error
		wg       sync.WaitGroup
	)
	endpoint := svc.Account().Endpoint
	for range Writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range queue {
				err := submit(ctx, svc, endpoint, p)
				mu.Lock()
				if err == nil {
					sent = append(sent, p)
				} else if firstErr == nil {
					firstErr = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}

feed:
	for _, p := range plans {
		select {
		case queue <- p:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()

	if firstErr == nil && ctx.Err() != nil {
		// The caller's context ended before any batch failed.
		firstErr = context.Cause(ctx)
	}
	return sent, firstErr
}

func submit(ctx context.Context, svc *tables.Service, endpoint string, p batchPlan) error {
	b := tables.NewBatch(p.table)
	for _, e := range p.entities {
		b.Add(endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
	}
	err := svc.SubmitBatch(ctx, b)
	if err == nil {
		return nil
	}
	pk := p.entities[0].PartitionKey
	var be *tables.BatchError
	if errors.As(err, &be) && be.Index >= 0 && be.Index < len(p.entities) {
		return fmt.Errorf("seed table %q: entity %s: %w", p.table, p.entities[be.Index].Key(), err)
	}
	return fmt.Errorf("seed table %q: batch of %d entities with PartitionKey %q: %w", p.table, len(p.entities), pk, err)
}
