// Command throughput measures authagonal-tables against what the Table
// protocol allows, side by side in one run. It seeds a local Azurite with
// realistic Authagonal data, then measures:
//
//   - the bare read limit: every table paged with plain HTTP requests, with
//     the tool's page size, concurrency and key ranges, bodies discarded;
//   - backup, backup --gzip and verify, by running the built binary;
//   - restore into empty tables;
//   - the bare write limit: the restore's batches, encoded in advance and
//     sent with plain HTTP at the same concurrency;
//   - the approach of the original .NET tools: one sequential scan per table,
//     and one upsert request per entity with tables one after another (the
//     latter on a sample, as it takes hours on a large set);
//
// once directly and once through a TCP proxy on 127.0.0.1 that delays
// every chunk by -latency in each direction, as a cloud round trip would.
// It prints one table with entities/s, the ratio to the bare limit, the
// ratio to the original approach and the tool's peak RSS.
//
// Usage:
//
//	go run ./bench/throughput -bin ./bin/authagonal-tables [-n 200000] [-latency 5ms]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/restore"
)

type config struct {
	bin     string
	n       int
	latency time.Duration
	sample  int
	// readParallel and writeParallel are the --parallel of backup and of
	// restore, and the concurrency of the bare read and write limits.
	readParallel, writeParallel int
	toolOnly                    bool
}

func main() {
	var cfg config
	flag.StringVar(&cfg.bin, "bin", "", "path of the authagonal-tables binary (required)")
	flag.IntVar(&cfg.n, "n", 200000, "number of entities; about half of them are in one table")
	flag.IntVar(&cfg.readParallel, "read-parallel", backup.DefaultParallel, "--parallel of backup, and the concurrency of the bare read limit")
	flag.IntVar(&cfg.writeParallel, "write-parallel", restore.DefaultParallel, "--parallel of restore, and the concurrency of the bare write limit")
	flag.DurationVar(&cfg.latency, "latency", 5*time.Millisecond, "delay each way of the proxied pass; 0 skips that pass")
	flag.IntVar(&cfg.sample, "sample", 3000, "entities restored one request each to measure the original approach")
	flag.BoolVar(&cfg.toolOnly, "tool-only", false, "seed one table of -n entities and run only the tool's backup, verify and restore on loopback: the memory check")
	flag.Parse()
	if cfg.bin == "" {
		fmt.Fprintln(os.Stderr, "usage: go run ./bench/throughput -bin ./bin/authagonal-tables [-n N] [-latency D] [-sample N] [-read-parallel N] [-write-parallel N]")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintf(os.Stderr, "throughput: %v\n", err)
		os.Exit(1)
	}
}

// row is one line of the result table.
type row struct {
	pass     string
	name     string
	entities int
	elapsed  time.Duration
	maxRSS   int64
	// bare and original name the rows this one is compared with.
	bare, original string
}

func (r row) rate() float64 { return float64(r.entities) / r.elapsed.Seconds() }

func run(cfg config) error {
	ctx := context.Background()
	source, err := azurite.Start(ctx)
	if err != nil {
		return err
	}
	defer source.Stop()

	logf("generating and seeding %d entities", cfg.n)
	start := time.Now()
	seedFunc := seed
	if cfg.toolOnly {
		seedFunc = seedOneTable
	}
	set, err := seedFunc(ctx, source, cfg.n)
	if err != nil {
		return err
	}
	logf("seeded %d entities in %d tables in %s", set.total, len(set.tables), time.Since(start).Round(time.Millisecond))

	work, err := os.MkdirTemp("", "throughput-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var rows []row
	passes := []time.Duration{0}
	if cfg.latency > 0 && !cfg.toolOnly {
		passes = append(passes, cfg.latency)
	}
	for _, latency := range passes {
		p := &pass{cfg: cfg, set: set, source: source, latency: latency, work: work}
		r, err := p.run(ctx)
		p.close()
		if err != nil {
			return err
		}
		rows = append(rows, r...)
	}
	printRows(cfg, set, rows)
	return nil
}

func printRows(cfg config, set *dataSet, rows []row) {
	fmt.Printf("%d entities in %d tables (largest %d), backup --parallel %d, restore --parallel %d, Azurite in memory on 127.0.0.1, %d CPUs, %s/%s\n\n",
		set.total, len(set.tables), set.largest, cfg.readParallel, cfg.writeParallel, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	byName := map[string]row{}
	for _, r := range rows {
		byName[r.pass+"/"+r.name] = r
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "PASS\tRUN\tENTITIES\tSECONDS\tENTITIES/S\tVS BARE\tVS ORIGINAL\tPEAK RSS\t")
	for _, r := range rows {
		vsBare, vsOriginal, rss := "", "", ""
		if b, ok := byName[r.pass+"/"+r.bare]; ok {
			vsBare = fmt.Sprintf("%.2fx", r.rate()/b.rate())
		}
		if o, ok := byName[r.pass+"/"+r.original]; ok {
			vsOriginal = fmt.Sprintf("%.1fx", r.rate()/o.rate())
		}
		if r.maxRSS > 0 {
			rss = fmt.Sprintf("%.0f MiB", float64(r.maxRSS)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.2f\t%.0f\t%s\t%s\t%s\t\n", r.pass, r.name, r.entities, r.elapsed.Seconds(), r.rate(), vsBare, vsOriginal, rss)
	}
	tw.Flush()
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "throughput: "+format+"\n", args...)
}
