// Package backup copies Table Storage tables into a backup folder: one JSON
// Lines file per table and a manifest with the SHA-256 of every file.
package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// Options configure one backup.
type Options struct {
	Service *tables.Service
	// Output is the folder that receives the backup folder.
	Output string
	// Tables replaces the default table set when non-nil.
	Tables []string
	// IncludeSigningKeys adds SigningKeys to the default set.
	IncludeSigningKeys bool
	// Codec writes the data files; nil means plain JSON Lines.
	Codec codec.Codec
	// DryRun counts the entities of each table and writes nothing.
	DryRun bool
	// Stdout receives the dry-run listing.
	Stdout io.Writer

	ToolVersion string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// Result describes a finished backup.
type Result struct {
	// Dir is the backup folder; empty for a dry run.
	Dir      string
	Manifest *manifest.Manifest
}

// IDFormat is the layout of a backup id: the UTC start time.
const IDFormat = "20060102-150405"

// tempPrefix starts the name of the folder a backup is built in. The dot
// hides it from ls and marks it as not a backup.
const tempPrefix = ".tmp-"

// Run performs a full backup. It builds the backup in a temporary folder
// next to the final one, writes the manifest last and renames the folder
// into place, so a backup that did not finish never looks like one that
// did. On error or cancellation the temporary folder is removed.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Codec == nil {
		c, err := codec.ByName(codec.NameJSONL)
		if err != nil {
			return nil, err
		}
		opts.Codec = c
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Log
	start := opts.Now().UTC()

	p, err := makePlan(ctx, opts.Service, opts, log)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return nil, dryRun(ctx, opts, p)
	}

	if err := fsutil.MkdirAll(opts.Output); err != nil {
		return nil, fmt.Errorf("create output folder: %w", err)
	}
	warnLeftovers(opts.Output, log)
	id, final, err := reserveID(opts.Output, start)
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(opts.Output, tempPrefix+id+"-"+randomSuffix())
	if err := fsutil.Mkdir(tmp); err != nil {
		return nil, fmt.Errorf("create temporary backup folder: %w", err)
	}
	done := false
	defer func() {
		if !done {
			if err := os.RemoveAll(tmp); err != nil {
				log.Error().Err(err).Str(logging.Dir, tmp).Msg("could not remove the temporary folder of the failed backup; delete it by hand")
			}
		}
	}()
	log.Info().Str(logging.Dir, final).Int("tables", len(p.Tables)).Str("codec", opts.Codec.Name()).Msg("backup started")

	m := &manifest.Manifest{
		FormatVersion:   manifest.FormatVersion,
		BackupID:        id,
		BackupTimestamp: start,
		Mode:            manifest.ModeFull,
		Compressed:      opts.Codec.Name() != codec.NameJSONL,
		Codec:           opts.Codec.Name(),
		ToolVersion:     opts.ToolVersion,
		Account:         &manifest.Account{Name: opts.Service.Account().Name, TableEndpoint: opts.Service.Account().Endpoint},
		Tables:          map[string]manifest.Table{},
		FileHashes:      map[string]string{},
		MissingTables:   nonNil(p.Missing),
		ExcludedTables:  p.Excluded,
	}
	if m.ExcludedTables == nil {
		m.ExcludedTables = []manifest.Excluded{}
	}
	for _, name := range p.Tables {
		t, sum, err := backupTable(ctx, opts, tmp, name)
		if err != nil && ctx.Err() != nil {
			return nil, fmt.Errorf("backup interrupted; its temporary folder is removed and no backup was written: %w", ctx.Err())
		}
		if err != nil {
			return nil, err
		}
		m.Tables[name] = t
		m.FileHashes[t.File] = sum
		m.TotalEntities += t.EntityCount
	}
	m.DurationSeconds = seconds(opts.Now().Sub(start))

	if err := finish(tmp, final, m); err != nil {
		return nil, err
	}
	done = true
	log.Info().Str(logging.Dir, final).Int64(logging.Entities, m.TotalEntities).Dur(logging.Duration, opts.Now().Sub(start)).Msg("backup finished")
	return &Result{Dir: final, Manifest: m}, nil
}

// finish writes the manifest, then moves the folder to its final name.
// The manifest goes last: its presence is what marks a backup complete.
func finish(tmp, final string, m *manifest.Manifest) error {
	if err := fsutil.SyncDir(tmp); err != nil {
		return err
	}
	if err := manifest.Write(tmp, m); err != nil {
		return err
	}
	if err := renameNoReplace(tmp, final); err != nil {
		return fmt.Errorf("move backup into place: %w", err)
	}
	return fsutil.SyncDir(filepath.Dir(final))
}

// reserveID picks the backup id for start, adding a suffix ("-2", "-3", ...)
// when a backup of the same second exists.
func reserveID(output string, start time.Time) (id, dir string, err error) {
	base := start.Format(IDFormat)
	for n := 1; n < 1000; n++ {
		id = base
		if n > 1 {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		dir = filepath.Join(output, id)
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			return id, dir, nil
		}
	}
	return "", "", fmt.Errorf("no free backup folder name for %s in %s", base, output)
}

// warnLeftovers warns about temporary folders of backups that were killed
// before they could clean up. They are not backups, and they may hold
// secrets.
func warnLeftovers(output string, log zerolog.Logger) {
	entries, err := os.ReadDir(output)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix) {
			log.Warn().Str(logging.Dir, filepath.Join(output, e.Name())).
				Msg("temporary folder of an interrupted backup; it is not a backup and may hold secrets, so delete it once no backup is running")
		}
	}
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}
