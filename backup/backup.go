// Package backup copies Table Storage tables into a backup folder: one JSON
// Lines file per table and a manifest with the SHA-256 of every file.
package backup

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/internal/crashpoint"
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
	// AllTables backs up every table of the account (with the service's
	// prefix, every table that carries it) instead of the default set.
	AllTables bool
	// Codec writes the data files; nil means plain JSON Lines. With
	// recipients in Keys, Run uses its encrypted form.
	Codec codec.Codec
	// Keys.Recipients, when set, encrypt every file of the backup.
	// Keys.Identities decrypt the key sets of earlier encrypted backups,
	// which an incremental that tracks deletes reads.
	Keys codec.Keys
	// RecipientNames are the public keys of Keys.Recipients as given,
	// recorded in the manifest.
	RecipientNames []string
	// SignKey, when set, signs the manifest (SignatureFile).
	SignKey ed25519.PrivateKey
	// DryRun counts the entities of each table and writes nothing.
	DryRun bool
	// Incremental copies only the entities changed since each table's
	// mark, and the keys deleted since then.
	Incremental bool
	// Overlap is subtracted from each mark; zero means DefaultOverlap.
	Overlap time.Duration
	// NoTrackDeletes skips the key scan of an incremental, so it records
	// no deletes.
	NoTrackDeletes bool
	// Parallel is the number of requests in flight at once, across tables
	// and the key ranges of large tables; zero means DefaultParallel.
	Parallel int
	// Stdout receives the dry-run listing.
	Stdout io.Writer

	ToolVersion string
	// partCodec writes the part files of ranged scans. For an encrypted
	// backup it encrypts to a key that lives only in memory for this run.
	partCodec codec.Codec
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// LockFile is the name of the file in the output folder that a running
// backup holds locked.
const LockFile = ".lock"

// Result describes a finished backup.
type Result struct {
	// Dir is the backup folder; empty for a dry run.
	Dir      string
	Manifest *manifest.Manifest
}

// Run performs a full backup. It builds the backup in a temporary folder
// next to the final one, writes the manifest last and renames the folder
// into place, so a backup that did not finish never looks like one that
// did. The first table that fails stops the backup: a backup either holds
// every table it was asked for or is not written. On error or
// cancellation the temporary folder is removed and the marks stay as
// they were.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Codec == nil {
		c, err := codec.ByName(codec.NameJSONL)
		if err != nil {
			return nil, err
		}
		opts.Codec = c
	}
	if err := setupEncryption(&opts); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Overlap == 0 {
		opts.Overlap = DefaultOverlap
	}
	log := opts.Log
	start := opts.Now().UTC()

	p, err := makePlan(ctx, opts.Service, opts, log)
	if err != nil {
		return nil, err
	}
	crashpoint.Hit("planned")
	if !opts.DryRun {
		if err := fsutil.MkdirAll(opts.Output); err != nil {
			return nil, fmt.Errorf("create output folder: %w", err)
		}
		// Two backups into one folder would race on the marks, and an
		// incremental could follow a parent that is still being written.
		unlock, err := fsutil.Lock(filepath.Join(opts.Output, LockFile))
		if errors.Is(err, fsutil.ErrLocked) {
			return nil, fmt.Errorf("another backup or a prune is running in %s; wait for it to finish, or give this backup another --output", opts.Output)
		}
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	var inc *incremental
	if opts.Incremental {
		if inc, err = prepareIncremental(opts, log); err != nil {
			return nil, err
		}
	}
	jobs := make([]tableJob, len(p.Tables))
	for i, name := range p.Tables {
		jobs[i] = fullJob(name)
		if inc != nil {
			jobs[i] = inc.job(name, opts.Overlap, !opts.NoTrackDeletes, log)
			if err := canReadKeys(jobs[i], opts.Keys); err != nil {
				return nil, err
			}
		}
	}
	if opts.DryRun {
		return nil, dryRun(ctx, opts, p, jobs)
	}

	cleanLeftovers(opts.Output, opts.Now(), log)
	suffix := ""
	if opts.Incremental {
		suffix = manifest.IncrementalSuffix
	}
	id, final, err := reserveID(opts.Output, start, suffix)
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(opts.Output, manifest.TempPrefix+id+"-"+randomSuffix())
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
	mode := manifest.ModeFull
	if opts.Incremental {
		mode = manifest.ModeIncremental
	}
	log.Info().Str(logging.Dir, final).Str(logging.Mode, mode).Int("tables", len(p.Tables)).Str("codec", opts.Codec.Name()).Msg("backup started")

	m := &manifest.Manifest{
		FormatVersion:   manifest.FormatVersion,
		BackupID:        id,
		BackupTimestamp: start,
		Mode:            mode,
		Compressed:      compressed(opts.Codec),
		Codec:           opts.Codec.Name(),
		ToolVersion:     opts.ToolVersion,
		Account:         &manifest.Account{Name: opts.Service.Account().Name, TableEndpoint: opts.Service.Account().Endpoint},
		Tables:          map[string]manifest.Table{},
		FileHashes:      map[string]string{},
		MissingTables:   nonNil(p.Missing),
		ExcludedTables:  p.Excluded,
		TrackDeletes:    !opts.Incremental || !opts.NoTrackDeletes,
		TablePrefix:     opts.Service.Prefix(),
	}
	if inc != nil {
		m.OverlapSeconds = opts.Overlap.Seconds()
		if inc.parent != nil {
			m.ParentBackupID = inc.parent.ID()
		}
	}
	if len(opts.Keys.Recipients) > 0 {
		m.Encryption = &manifest.Encryption{Scheme: manifest.EncryptionAge, Recipients: opts.RecipientNames}
	}
	if m.ExcludedTables == nil {
		m.ExcludedTables = []manifest.Excluded{}
	}
	results, err := backupTables(ctx, opts, tmp, jobs)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // its message states that nothing was written
		}
		return nil, fmt.Errorf("%w; %s", err, nothingWritten(opts.Output))
	}
	for i, job := range jobs {
		r := results[i]
		m.Tables[job.name] = r.table
		for name, sum := range r.sums {
			m.FileHashes[name] = sum
		}
		m.TotalEntities += r.table.EntityCount
	}
	m.DurationSeconds = seconds(opts.Now().Sub(start))

	if err := finish(tmp, final, m, opts.SignKey); err != nil {
		return nil, err
	}
	done = true
	log.Info().Str(logging.Dir, final).Int64(logging.Entities, m.TotalEntities).Dur(logging.Duration, opts.Now().Sub(start)).Msg("backup finished")
	res := &Result{Dir: final, Manifest: m}

	if err := updateMarks(opts.Output, m, log); err != nil {
		return res, fmt.Errorf("backup %s was written, but the marks for the next incremental were not: %w; the next incremental copies more than it needs to, or takes a full copy", final, err)
	}
	return res, nil
}

// nothingWritten returns the end of a failed backup's message: nothing
// was written, which backup is still the newest, and what to do.
func nothingWritten(output string) string {
	newest := "there is no complete backup in " + output + " yet"
	if entries, err := manifest.Scan(output); err == nil {
		if e := manifest.Newest(entries); e != nil {
			newest = "the newest complete backup in " + output + " is still " + e.Name
		}
	}
	return "no backup was written and " + newest + "; run the backup again once the cause is fixed"
}

// DefaultParallel is the default number of requests in flight at once.
const DefaultParallel = 4

// tableResult is the outcome of one table's backup.
type tableResult struct {
	table manifest.Table
	sums  map[string]string
}

// backupTables backs up the tables, as many at once as opts.Parallel,
// sharing opts.Parallel requests in flight. The first error of any table
// stops the others and is returned. Going on would only delay the rerun,
// because a backup that lacks a table is not written.
func backupTables(parent context.Context, opts Options, dir string, jobs []tableJob) ([]tableResult, error) {
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = DefaultParallel
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	slots := newLimits(parallel)
	tablesAtOnce := make(chan struct{}, parallel)
	results := make([]tableResult, len(jobs))
	var wg sync.WaitGroup
	for i, job := range jobs {
		if take(ctx, tablesAtOnce) != nil {
			break
		}
		wg.Add(1)
		go func() {
			defer func() {
				<-tablesAtOnce
				wg.Done()
			}()
			t, sums, err := backupTable(ctx, opts, dir, job, slots)
			crashpoint.Hit("table-done")
			results[i] = tableResult{table: t, sums: sums}
			if err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if parent.Err() != nil {
		return nil, fmt.Errorf("backup interrupted; its temporary folder is removed and no backup was written: %w", parent.Err())
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return results, nil
}

// updateMarks moves the mark of every table the backup holds to the
// service time at which its backup started. Tables that were not in the
// backup keep their marks.
func updateMarks(output string, m *manifest.Manifest, log zerolog.Logger) error {
	marks, _, err := readMarks(output)
	if err != nil {
		// Only a full backup gets here with a damaged file: an incremental
		// stops when it reads the marks. Starting afresh loses no data,
		// because a table without a mark is copied in full.
		log.Warn().Err(err).Msg("replacing the damaged marks file")
		marks = &Marks{FormatVersion: marksVersion, Tables: map[string]Mark{}}
	}
	for name, t := range m.Tables {
		if t.ServiceTime != nil {
			marks.set(name, Mark{ServiceTime: *t.ServiceTime, BackupID: m.BackupID})
		}
	}
	return writeMarks(output, marks)
}

// finish writes the manifest, then moves the folder to its final name.
// The manifest goes last: its presence is what marks a backup complete.
func finish(tmp, final string, m *manifest.Manifest, sign ed25519.PrivateKey) error {
	if err := fsutil.SyncDir(tmp); err != nil {
		return err
	}
	if err := manifest.Write(tmp, m); err != nil {
		return err
	}
	crashpoint.Hit("manifest-written")
	if sign != nil {
		if err := manifest.WriteSignature(tmp, sign); err != nil {
			return err
		}
	}
	crashpoint.Hit("before-rename")
	if err := renameNoReplace(tmp, final); err != nil {
		return fmt.Errorf("move backup into place: %w", err)
	}
	crashpoint.Hit("renamed")
	return fsutil.SyncDir(filepath.Dir(final))
}

// reserveID picks the backup id for start, adding a suffix ("-2", "-3", ...)
// when a backup of the same second exists.
func reserveID(output string, start time.Time, suffix string) (id, dir string, err error) {
	base := start.Format(manifest.IDFormat)
	for n := 1; n < 1000; n++ {
		id = base + suffix
		if n > 1 {
			id = fmt.Sprintf("%s-%d%s", base, n, suffix)
		}
		dir = filepath.Join(output, id)
		if _, err := os.Lstat(dir); errors.Is(err, os.ErrNotExist) {
			return id, dir, nil
		}
	}
	return "", "", fmt.Errorf("no free backup folder name for %s in %s", base, output)
}

// LeftoverGrace is the age after which a backup removes a temporary
// folder that an interrupted backup left. The lock on the output folder
// already keeps two backups apart. The grace period also spares a backup
// that another host writes where the file system ignores the lock.
const LeftoverGrace = time.Hour

// cleanLeftovers removes what killed backups left in the output folder:
// temporary backup folders older than LeftoverGrace, and temporary files
// of the marks. Such folders are never backups, and they may hold
// secrets. Younger ones are only reported.
func cleanLeftovers(output string, now time.Time, log zerolog.Logger) {
	entries, err := os.ReadDir(output)
	if err != nil {
		return
	}
	for _, e := range entries {
		path := filepath.Join(output, e.Name())
		switch {
		case e.IsDir() && strings.HasPrefix(e.Name(), manifest.TempPrefix):
			changed, err := fsutil.LastChange(path)
			if err != nil {
				continue
			}
			if age := now.Sub(changed); age < LeftoverGrace {
				log.Warn().Str(logging.Dir, path).Dur("age", age.Round(time.Second)).
					Msg("temporary folder of an interrupted backup, or of one running elsewhere; it is not a backup, and a later backup removes it once it is an hour old")
				continue
			}
			if err := os.RemoveAll(path); err != nil {
				log.Warn().Err(err).Str(logging.Dir, path).Msg("could not remove the temporary folder of an interrupted backup; delete it by hand")
				continue
			}
			log.Info().Str(logging.Dir, path).Msg("removed the temporary folder of an interrupted backup")
		case !e.IsDir() && strings.HasPrefix(e.Name(), "."+MarksFile+".tmp-"):
			// The marks are written under the lock, so a temporary file
			// of them is from a process that died while writing.
			if err := os.Remove(path); err == nil {
				log.Debug().Str("file", path).Msg("removed a temporary marks file of an interrupted backup")
			}
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

// setupEncryption switches opts to the encrypted form of its codec when
// there are recipients, and sets the codec of part files.
func setupEncryption(opts *Options) error {
	opts.partCodec = opts.Codec
	if len(opts.Keys.Recipients) == 0 {
		return nil
	}
	c, err := codec.Encrypt(opts.Codec)
	if err != nil {
		return err
	}
	opts.Codec = codec.WithKeys(c, opts.Keys)
	// Part files exist only while their table is backed up, and are
	// decrypted into the final file. A key of their own, never stored,
	// keeps them encrypted on disk without needing the restore identity.
	ephemeral, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	opts.partCodec = codec.WithKeys(c, codec.Keys{
		Recipients: []age.Recipient{ephemeral.Recipient()},
		Identities: []age.Identity{ephemeral},
	})
	return nil
}

// canReadKeys checks, before anything is written, that the key sets an
// incremental job reads to find deletes can be decrypted.
func canReadKeys(job tableJob, keys codec.Keys) error {
	if len(keys.Identities) > 0 {
		return nil
	}
	for _, src := range job.previous {
		if strings.HasSuffix(src.file, codec.EncryptedSuffix) {
			return fmt.Errorf("table %s: the key set in backup %s is encrypted, and an incremental reads it to find the deletes; "+
				"pass --identity with an identity whose public key is among the recipients (a key kept for the backup host, see docs/security.md), or --no-track-deletes",
				job.name, src.entry.ID())
		}
	}
	return nil
}

// compressed reports whether c compresses, encrypted or not.
func compressed(c codec.Codec) bool {
	inner, _ := codec.Encrypted(c)
	return inner.Name() != codec.NameJSONL
}
