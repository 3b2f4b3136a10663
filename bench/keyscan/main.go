// Command keyscan measures what tracking deletes costs an incremental
// backup: the keys-only scan of every table, and the comparison with the
// previous key set. It seeds a local Azurite with one table of -entities
// entities, runs the built binary for a full backup, then for incrementals
// with and without --no-track-deletes, and prints a table of wall time,
// peak memory (max RSS) and bytes written.
//
// Usage:
//
//	go run ./bench/keyscan -bin ./bin/authagonal-tables [-entities 200000]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/authagonal/authagonal-tables/bench/internal/measure"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/tables"
)

const table = "Users"

func main() {
	bin := flag.String("bin", "", "path of the authagonal-tables binary (required)")
	entities := flag.Int("entities", 200000, "number of entities in the table")
	partitions := flag.Int("partitions", 2000, "number of partitions they are spread over")
	changes := flag.Float64("changes", 0.01, "share of entities updated before the last incremental")
	flag.Parse()
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/keyscan -bin ./bin/authagonal-tables [-entities N] [-partitions N] [-changes F]")
		os.Exit(2)
	}
	if err := run(*bin, *entities, *partitions, *changes); err != nil {
		fmt.Fprintf(os.Stderr, "keyscan: %v\n", err)
		os.Exit(1)
	}
}

// measurement is one run of the binary.
type measurement struct {
	name    string
	elapsed time.Duration
	maxRSS  int64 // bytes
	written int64 // bytes of the backup folder
	note    string
}

func run(bin string, entities, partitions int, changes float64) error {
	ctx := context.Background()
	srv, err := azurite.Start(ctx)
	if err != nil {
		return err
	}
	defer srv.Stop()
	svc, err := srv.Service()
	if err != nil {
		return err
	}
	if err := svc.CreateTable(ctx, table); err != nil {
		return err
	}

	logf("seeding %d entities in %d partitions", entities, partitions)
	start := time.Now()
	if err := seed(ctx, svc, entities, partitions, 0, entities); err != nil {
		return err
	}
	logf("seeded in %s", time.Since(start).Round(time.Millisecond))
	// Keep the seeded data out of the incrementals' 1s overlap.
	time.Sleep(2 * time.Second)

	output, err := os.MkdirTemp("", "keyscan-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(output)
	conn := srv.ConnectionString()
	base := []string{"--log-level", "warn", "backup", "--connection-string", conn, "--tables", table, "--output", output, "--gzip"}
	incr := append(append([]string{}, base...), "--incremental", "--overlap", "1s")

	var results []measurement
	step := func(name, note string, args []string) error {
		before := map[string]bool{}
		entries, _ := os.ReadDir(output)
		for _, e := range entries {
			before[e.Name()] = true
		}
		m, err := measureRun(bin, args)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		entries, _ = os.ReadDir(output)
		for _, e := range entries {
			if e.IsDir() && !before[e.Name()] {
				m.written, _ = folderSize(filepath.Join(output, e.Name()))
			}
		}
		m.name, m.note = name, note
		results = append(results, m)
		logf("%s: %s", name, m.elapsed.Round(time.Millisecond))
		return nil
	}

	if err := step("full backup", "data scan; key set from the same scan", base); err != nil {
		return err
	}
	if err := step("incremental, no changes", "key scan + empty change scan + compare", incr); err != nil {
		return err
	}
	if err := step("incremental, no changes, --no-track-deletes", "change scan only", append(append([]string{}, incr...), "--no-track-deletes")); err != nil {
		return err
	}
	changed := int(float64(entities) * changes)
	time.Sleep(1100 * time.Millisecond)
	if err := seed(ctx, svc, entities, partitions, 0, changed); err != nil {
		return err
	}
	deleted := changed / 10
	if err := remove(ctx, svc, entities, partitions, entities-deleted, entities); err != nil {
		return err
	}
	note := fmt.Sprintf("%d updated, %d deleted", changed, deleted)
	if err := step("incremental after changes", note, incr); err != nil {
		return err
	}

	fmt.Printf("Key-scan cost, %d entities in %d partitions, Azurite on 127.0.0.1, %d CPUs, %s/%s\n\n", entities, partitions, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSECONDS\tMAX RSS\tWRITTEN\tWHAT IT READS")
	for _, m := range results {
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%s\t%s\n", m.name, m.elapsed.Seconds(), mib(m.maxRSS), mib(m.written), m.note)
	}
	return tw.Flush()
}

// measureRun runs the binary and returns its wall time and peak memory.
func measureRun(bin string, args []string) (measurement, error) {
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	r, err := measure.Run(cmd)
	if err != nil {
		return measurement{}, fmt.Errorf("%w\n%s", err, stderr.String())
	}
	return measurement{elapsed: r.Elapsed, maxRSS: r.PeakRSS}, nil
}

// seed upserts entities [from, to) of the table, spread over partitions,
// with 8 writers.
func seed(ctx context.Context, svc *tables.Service, total, partitions, from, to int) error {
	jobs := make(chan []*entity.Entity)
	errs := make(chan error, 8)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for batch := range jobs {
				b := tables.NewBatch(table)
				for _, e := range batch {
					b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
				}
				if err := svc.SubmitBatch(ctx, b); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	perPartition := (total + partitions - 1) / partitions
	var batch []*entity.Entity
	flush := func() {
		if len(batch) > 0 {
			jobs <- batch
			batch = nil
		}
	}
	for i := from; i < to; i++ {
		p := i / perPartition
		if len(batch) > 0 && (batch[0].PartitionKey != partitionKey(p) || len(batch) == tables.MaxBatchOperations) {
			flush()
		}
		line := fmt.Sprintf(`{"PartitionKey":%q,"RowKey":"user-%07d","Email":"user%d@example.com","DisplayName":"User %d","EmailConfirmed":true,"LoginCount":%d,"PasswordHash":"AQAAAAIAAYagAAAAE%058d","Created@odata.type":"Edm.DateTime","Created":"2026-01-02T03:04:05.1234567Z"}`,
			partitionKey(p), i, i, i, i%1000, i)
		e, err := entity.Parse([]byte(line))
		if err != nil {
			return err
		}
		batch = append(batch, e)
		select {
		case err := <-errs:
			close(jobs)
			return err
		default:
		}
	}
	flush()
	close(jobs)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return nil
}

// remove deletes entities [from, to) of a table of total entities.
func remove(ctx context.Context, svc *tables.Service, total, partitions, from, to int) error {
	perPartition := (total + partitions - 1) / partitions
	for i := from; i < to; i++ {
		b := tables.NewBatch(table)
		e := &entity.Entity{PartitionKey: partitionKey(i / perPartition), RowKey: fmt.Sprintf("user-%07d", i)}
		b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Delete, Entity: e})
		if err := svc.SubmitBatch(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

func partitionKey(p int) string { return fmt.Sprintf("tenant-%05d", p) }

func folderSize(dir string) (int64, error) {
	var total int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err == nil {
			total += info.Size()
		}
	}
	return total, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "keyscan: "+format+"\n", args...)
}
