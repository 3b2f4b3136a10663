package backup

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// backupTable writes every entity of one table to its file in dir, hashing
// the bytes as they are written, and returns the manifest entry and the
// file's SHA-256. The file is synced and closed, with every error checked,
// before it is reported written.
func backupTable(ctx context.Context, opts Options, dir, table string) (manifest.Table, string, error) {
	start := opts.Now()
	name := table + opts.Codec.Suffix()
	log := opts.Log.With().Str(logging.Table, table).Str(logging.File, name).Logger()
	log.Info().Msg("table backup started")

	f, err := fsutil.CreateExclusive(filepath.Join(dir, name))
	if err != nil {
		return manifest.Table{}, "", fmt.Errorf("backup table %q: %w", table, err)
	}
	defer f.Close() // A second Close after the checked one below is harmless.

	hw := manifest.NewHashWriter(f)
	w, err := opts.Codec.NewWriter(hw)
	if err != nil {
		return manifest.Table{}, "", fmt.Errorf("backup table %q: %w", table, err)
	}

	var count int64
	var line []byte
	progress := logging.NewProgress(log, "table backup in progress", 0)
	err = opts.Service.Query(ctx, table, tables.Query{}, func(p tables.Page) error {
		for _, e := range p.Entities {
			line = e.AppendLine(line[:0])
			if err := w.WriteLine(line); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
		}
		count += int64(len(p.Entities))
		progress.Add(int64(len(p.Entities)))
		log.Debug().Int("page", len(p.Entities)).Int64(logging.Entities, count).Msg("page written")
		return nil
	})
	if err != nil {
		w.Close()
		return manifest.Table{}, "", fmt.Errorf("backup table %q: %w", table, err)
	}
	if err := w.Close(); err != nil {
		return manifest.Table{}, "", fmt.Errorf("backup table %q: finish %s: %w", table, name, err)
	}
	if err := f.Sync(); err != nil {
		return manifest.Table{}, "", fmt.Errorf("backup table %q: sync %s: %w", table, name, err)
	}
	if err := f.Close(); err != nil {
		return manifest.Table{}, "", fmt.Errorf("backup table %q: close %s: %w", table, name, err)
	}

	elapsed := opts.Now().Sub(start)
	log.Info().Int64(logging.Entities, count).Int64(logging.Bytes, hw.Bytes()).Dur(logging.Duration, elapsed).Msg("table backup finished")
	return manifest.Table{
		EntityCount:     count,
		DurationSeconds: seconds(elapsed),
		File:            name,
		Bytes:           hw.Bytes(),
	}, hw.Sum(), nil
}

// dryRun prints each planned table with its entity count. It reads keys
// only and writes nothing.
func dryRun(ctx context.Context, opts Options, p plan) error {
	fmt.Fprintf(opts.Stdout, "Dry run: %d table(s) would be backed up from %s\n", len(p.Tables), opts.Service.Account())
	fmt.Fprintf(opts.Stdout, "%-32s %12s\n", "TABLE", "ENTITIES")
	var total int64
	for _, table := range p.Tables {
		n, err := opts.Service.CountEntities(ctx, table)
		if err != nil {
			return err
		}
		total += n
		fmt.Fprintf(opts.Stdout, "%-32s %12d\n", table, n)
	}
	fmt.Fprintf(opts.Stdout, "%-32s %12d\n", "TOTAL", total)
	for _, name := range p.Missing {
		fmt.Fprintf(opts.Stdout, "missing:  %s\n", name)
	}
	for _, x := range p.Excluded {
		fmt.Fprintf(opts.Stdout, "excluded: %s (%s)\n", x.Name, x.Reason)
	}
	for _, name := range p.Others {
		fmt.Fprintf(opts.Stdout, "not in the Authagonal set, not backed up: %s\n", name)
	}
	return nil
}
