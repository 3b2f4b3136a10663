package main

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/sampledata"
	"github.com/authagonal/authagonal-tables/tables"
)

// dataSet is the seeded data, kept in memory to build the bare write
// batches from.
type dataSet struct {
	tables   []string
	entities map[string][]*entity.Entity
	total    int
	largest  int
}

// grantsPerUser is how many rows the largest table of the sample data set
// gets per user, measured on the default set (4,130 grants for 1,800
// users).
const grantsPerUser = 2.29

// seedOneTable writes n entities into one table, copies of the largest
// table of the default sample data set with new PartitionKeys, for the
// memory check of a single large table. Generating the whole sample set at
// that size would take gigabytes.
func seedOneTable(ctx context.Context, srv *azurite.Server, n int) (*dataSet, error) {
	sample := sampledata.Generate(sampledata.Options{Seed: 7})
	var largest string
	for name, list := range sample {
		if len(list) > len(sample[largest]) {
			largest = name
		}
	}
	svc, err := srv.Service()
	if err != nil {
		return nil, err
	}
	if err := svc.CreateTable(ctx, largest); err != nil {
		return nil, err
	}
	set := &dataSet{tables: []string{largest}, entities: map[string][]*entity.Entity{}, total: n, largest: n}
	templates := sample[largest]
	// Written in chunks, so that only one chunk of copies is in memory.
	const chunk = 50000
	for done := 0; done < n; done += chunk {
		var list []*entity.Entity
		for i := done; i < min(n, done+chunk); i++ {
			e := *templates[i%len(templates)]
			e.PartitionKey = fmt.Sprintf("%s-%04d", e.PartitionKey, i/len(templates))
			list = append(list, &e)
		}
		slices.SortFunc(list, func(a, b *entity.Entity) int {
			if a.PartitionKey != b.PartitionKey {
				return compare(a.PartitionKey, b.PartitionKey)
			}
			return compare(a.RowKey, b.RowKey)
		})
		one := &dataSet{tables: []string{largest}, entities: map[string][]*entity.Entity{largest: list}}
		if err := writeBatches(ctx, svc, batches(one, svc.Account().Endpoint), 8); err != nil {
			return nil, err
		}
		logf("seeded %d of %d", min(n, done+chunk), n)
	}
	return set, nil
}

// seed generates a data set of about n entities with the shape of the
// sample Authagonal data, half of them in its largest table, and writes it.
func seed(ctx context.Context, srv *azurite.Server, n int) (*dataSet, error) {
	users := int(math.Ceil(float64(n) / 2 / grantsPerUser))
	full := sampledata.Generate(sampledata.Options{Users: users, Seed: 7})

	names := slices.Sorted(func(yield func(string) bool) {
		for name := range full {
			if !yield(name) {
				return
			}
		}
	})
	sort.SliceStable(names, func(i, j int) bool { return len(full[names[i]]) > len(full[names[j]]) })
	largest := names[0]

	set := &dataSet{entities: map[string][]*entity.Entity{}}
	set.entities[largest] = full[largest][:min(len(full[largest]), n/2)]
	rest := n - len(set.entities[largest])
	var others int
	for _, name := range names[1:] {
		others += len(full[name])
	}
	for _, name := range names[1:] {
		share := int(math.Round(float64(len(full[name])) * float64(rest) / float64(others)))
		set.entities[name] = full[name][:min(len(full[name]), max(share, 1))]
	}
	for name, list := range set.entities {
		slices.SortFunc(list, func(a, b *entity.Entity) int {
			if a.PartitionKey != b.PartitionKey {
				return compare(a.PartitionKey, b.PartitionKey)
			}
			return compare(a.RowKey, b.RowKey)
		})
		set.tables = append(set.tables, name)
		set.total += len(list)
		set.largest = max(set.largest, len(list))
	}
	sort.Strings(set.tables)

	svc, err := srv.Service()
	if err != nil {
		return nil, err
	}
	for _, name := range set.tables {
		if err := svc.CreateTable(ctx, name); err != nil {
			return nil, err
		}
	}
	return set, writeBatches(ctx, svc, batches(set, svc.Account().Endpoint), 8)
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// batches groups the data set as restore does: consecutive entities of
// one partition, at most 100 operations and under 4 MiB per batch.
func batches(set *dataSet, endpoint string) []*tables.Batch {
	const overhead = 1024
	var out []*tables.Batch
	for _, name := range set.tables {
		var b *tables.Batch
		var pk string
		size := 0
		for _, e := range set.entities[name] {
			op := tables.Operation{Action: tables.Upsert, Entity: e}
			opSize := tables.OperationSize(endpoint, name, op)
			if b == nil || b.Len() == tables.MaxBatchOperations || e.PartitionKey != pk || size+opSize+overhead > tables.MaxBatchBytes {
				b = tables.NewBatch(name)
				out = append(out, b)
				pk, size = e.PartitionKey, 0
			}
			b.Add(endpoint, op)
			size += opSize
		}
	}
	return out
}

// writeBatches submits the batches with the given number of workers.
func writeBatches(ctx context.Context, svc *tables.Service, list []*tables.Batch, workers int) error {
	jobs := make(chan *tables.Batch)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				if err := svc.SubmitBatch(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for _, b := range list {
		select {
		case jobs <- b:
		case err := <-errs:
			close(jobs)
			wg.Wait()
			return err
		}
	}
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
