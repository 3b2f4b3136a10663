package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// output is one file of a table being written: it hashes the bytes as
// they reach the disk.
type output struct {
	name string
	path string
	file *os.File
	hash *manifest.HashWriter
	// codec is the file's codec. stream is the file's byte stream, the age
	// stream of an encrypted file and hash otherwise, and inner the codec
	// whose lines go into it.
	codec  codec.Codec
	inner  codec.Codec
	stream io.WriteCloser
	lines  codec.Writer
	// linesClosed is set once lines is closed and parts may be appended.
	linesClosed bool
	count       int64
	buf         []byte
}

// createOutput creates a file of codec c. An encrypted file is one age
// stream, sealed here and closed by finish, around one or more streams of
// the inner codec, so that parts can be appended inside it.
func createOutput(dir, name string, c codec.Codec) (*output, error) {
	path := filepath.Join(dir, name)
	f, err := fsutil.CreateExclusive(path)
	if err != nil {
		return nil, err
	}
	o := &output{name: name, path: path, file: f, hash: manifest.NewHashWriter(f), codec: c}
	if o.inner, o.stream, err = codec.Seal(c, o.hash); err == nil {
		o.lines, err = o.inner.NewWriter(o.stream)
	}
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return o, nil
}

func (o *output) writeEntity(e *entity.Entity) error {
	o.buf = e.AppendLine(o.buf[:0])
	return o.write()
}

func (o *output) writeKey(k entity.Key) error {
	o.buf = k.AppendKeyLine(o.buf[:0])
	return o.write()
}

func (o *output) write() error {
	if err := o.lines.WriteLine(o.buf); err != nil {
		return fmt.Errorf("write %s: %w", o.name, err)
	}
	o.count++
	return nil
}

// finish flushes, syncs and closes the file, checking every error, so that
// a file is reported written only once it is on disk.
func (o *output) finish() error {
	if err := o.closeLines(); err != nil {
		return err
	}
	if err := o.stream.Close(); err != nil {
		return fmt.Errorf("finish %s: %w", o.name, err)
	}
	if err := o.file.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", o.name, err)
	}
	if err := o.file.Close(); err != nil {
		return fmt.Errorf("close %s: %w", o.name, err)
	}
	return nil
}

// discard closes and removes the file of a table whose backup failed.
func (o *output) discard() {
	if o == nil {
		return
	}
	o.lines.Close()
	o.file.Close()
	os.Remove(o.path)
}

// tableFiles are the files of one table's backup.
type tableFiles struct {
	data, keys, deleted *output
}

func (f *tableFiles) discard() {
	f.data.discard()
	f.keys.discard()
	f.deleted.discard()
}

// backupTable writes one table's files into dir and returns its manifest
// entry and the SHA-256 of each file. On error it removes the files.
//
// A full copy writes every entity and, from the same scan, the key set. An
// incremental copy first scans every key, then copies the entities changed
// since the watermark, and records the union of both key sets. With a base
// copy that recorded its key set, the keys of the base that are in neither
// are written as deleted. Scanning the keys before the changes is what makes
// this safe: an entity created after the key scan is in the changes, and
// one deleted after the key scan is deleted by the next backup.
func backupTable(ctx context.Context, opts Options, dir string, job tableJob, slots *limits) (manifest.Table, map[string]string, error) {
	start := opts.Now()
	table := job.name
	log := opts.Log.With().Str(logging.Table, table).Logger()
	ev := log.Info()
	if job.watermark != nil {
		ev = ev.Time("watermark", *job.watermark)
	} else if job.fullReason != "" {
		ev = ev.Str("full_copy", job.fullReason)
	}
	ev.Msg("table backup started")

	files := &tableFiles{}
	t, err := copyTable(ctx, opts, dir, job, files, slots, log)
	if err != nil {
		files.discard()
		return manifest.Table{}, nil, fmt.Errorf("backup table %q: %w", table, err)
	}
	sums := map[string]string{}
	for _, o := range []*output{files.data, files.keys, files.deleted} {
		if o == nil {
			continue
		}
		if err := o.finish(); err != nil {
			files.discard()
			return manifest.Table{}, nil, fmt.Errorf("backup table %q: %w", table, err)
		}
		sums[o.name] = o.hash.Sum()
	}

	elapsed := opts.Now().Sub(start)
	t.DurationSeconds = seconds(elapsed)
	t.Bytes = files.data.hash.Bytes()
	log.Info().Int64(logging.Entities, t.EntityCount).Int64("keys", t.KeyCount).Int64("deleted", t.DeletedCount).
		Int64(logging.Bytes, t.Bytes).Dur(logging.Duration, elapsed).Msg("table backup finished")
	return t, sums, nil
}

// copyTable runs the scans of one table into files, which it creates.
func copyTable(ctx context.Context, opts Options, dir string, job tableJob, files *tableFiles, slots *limits, log zerolog.Logger) (manifest.Table, error) {
	table := job.name
	suffix := opts.Codec.Suffix()
	t := manifest.Table{File: table + suffix, Watermark: job.watermark, FullCopyReason: job.fullReason}
	if job.base != nil {
		t.BaseBackupID = job.base.entry.ID()
	}
	writeKeys := job.watermark == nil || job.keyScan
	deletes := len(job.previous) > 0 && writeKeys

	var err error
	if files.data, err = createOutput(dir, t.File, opts.Codec); err != nil {
		return t, err
	}
	if writeKeys {
		t.KeysFile = table + ".keys" + suffix
		if files.keys, err = createOutput(dir, t.KeysFile, opts.Codec); err != nil {
			return t, err
		}
	}

	// seen holds the digest of every key recorded, when the key set must
	// be compared with another. Ranges of a scan add to it concurrently.
	var seen map[[16]byte]struct{}
	var seenMu sync.Mutex
	if deletes || job.keyScan {
		seen = map[[16]byte]struct{}{}
	}
	var serviceTime time.Time
	takeTime := func(p tables.Page) error {
		if p.Date.IsZero() {
			return errors.New("the service sent no Date header, so the service time that the next incremental starts from cannot be taken")
		}
		serviceTime = p.Date
		return nil
	}

	if job.keyScan {
		progress := logging.NewProgress(log, "key scan in progress", table+" keys", 0)
		defer progress.Done()
		scan := &rangedScan{
			svc: opts.Service, table: table, dir: dir, codec: opts.Codec, parts: opts.partCodec, slots: slots,
			finals:  []*output{files.keys},
			onFirst: takeTime,
			onPage:  func(n int) { progress.Add(int64(n)) },
			write: func(outs []*output, entities []*entity.Entity) error {
				for _, e := range entities {
					k := e.Key()
					seenMu.Lock()
					seen[k.Digest()] = struct{}{}
					seenMu.Unlock()
					if err := outs[0].writeKey(k); err != nil {
						return err
					}
				}
				return nil
			},
		}
		if err := scan.run(ctx, tables.KeysOnly); err != nil {
			return t, fmt.Errorf("key scan: %w", err)
		}
		log.Info().Int64("keys", files.keys.count).Msg("key scan finished")
		if err := files.keys.reopenLines(); err != nil {
			return t, err
		}
	}

	q := tables.Query{}
	if job.watermark != nil {
		q.Filter = TimestampFilter(*job.watermark)
	}
	finals := []*output{files.data}
	if files.keys != nil {
		finals = append(finals, files.keys)
	}
	progress := logging.NewProgress(log, "table backup in progress", table, 0)
	defer progress.Done()
	scan := &rangedScan{
		svc: opts.Service, table: table, dir: dir, codec: opts.Codec, parts: opts.partCodec, slots: slots,
		finals: finals,
		onPage: func(n int) {
			progress.Add(int64(n))
			log.Debug().Int("page", n).Msg("page written")
		},
		write: func(outs []*output, entities []*entity.Entity) error {
			for _, e := range entities {
				if err := outs[0].writeEntity(e); err != nil {
					return err
				}
				if len(outs) == 1 {
					continue
				}
				k := e.Key()
				if seen != nil {
					d := k.Digest()
					seenMu.Lock()
					_, dup := seen[d]
					seen[d] = struct{}{}
					seenMu.Unlock()
					if dup {
						continue
					}
				}
				if err := outs[1].writeKey(k); err != nil {
					return err
				}
			}
			return nil
		},
	}
	if serviceTime.IsZero() {
		scan.onFirst = takeTime
	}
	if err := scan.run(ctx, q); err != nil {
		return t, err
	}
	t.ServiceTime = &serviceTime
	t.EntityCount = files.data.count
	if files.keys != nil {
		t.KeyCount = files.keys.count
	}

	if deletes {
		t.DeletedFile = table + ".deleted" + suffix
		if files.deleted, err = createOutput(dir, t.DeletedFile, opts.Codec); err != nil {
			return t, err
		}
		if err := writeDeleted(job.previous, seen, files.deleted, opts.Keys); err != nil {
			return t, err
		}
		t.DeletedCount = files.deleted.count
		t.DeletesTracked = true
	}
	return t, nil
}

// writeDeleted writes each key of the earlier files that is not in seen,
// once. Each file is hashed on the way and must match its manifest, so
// that a damaged file cannot invent or hide deletes.
func writeDeleted(sources []keySource, seen map[[16]byte]struct{}, out *output, keys codec.Keys) error {
	written := map[[16]byte]struct{}{}
	for _, src := range sources {
		if err := writeDeletedFrom(src, seen, written, out, keys); err != nil {
			return err
		}
	}
	return nil
}

func writeDeletedFrom(src keySource, seen, written map[[16]byte]struct{}, out *output, keys codec.Keys) error {
	id := src.entry.ID()
	d, err := manifest.OpenData(src.entry.Dir, src.file, keys)
	if err != nil {
		return fmt.Errorf("read the keys of backup %s: %w", id, err)
	}
	defer d.Close()
	for {
		e, _, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read the keys of backup %s: %w; verify that backup, or take a full backup", id, err)
		}
		k := e.Key()
		digest := k.Digest()
		if _, ok := seen[digest]; ok {
			continue
		}
		if _, ok := written[digest]; ok {
			continue
		}
		written[digest] = struct{}{}
		if err := out.writeKey(k); err != nil {
			return err
		}
	}
	if want := src.entry.Manifest.FileHashes[src.file]; d.Sum() != want {
		return fmt.Errorf("%s of backup %s does not match its manifest's SHA-256; verify that backup, or take a full backup", src.file, id)
	}
	return nil
}

// TimestampFilter returns the OData filter for the entities changed at or
// after t. It keeps all 7 fractional digits of the service's 100 ns
// resolution, so the filter is exactly t.
func TimestampFilter(t time.Time) string {
	return "Timestamp ge datetime'" + t.UTC().Format("2006-01-02T15:04:05.0000000Z") + "'"
}

// dryRun prints each planned table with its entity count and, for an
// incremental, where its copy would start. It reads keys only and writes
// nothing.
func dryRun(ctx context.Context, opts Options, p plan, jobs []tableJob) error {
	kind := "full"
	if opts.Incremental {
		kind = "incremental"
	}
	fmt.Fprintf(opts.Stdout, "Dry run: %s backup of %d table(s) from %s\n", kind, len(p.Tables), opts.Service.Account())
	fmt.Fprintf(opts.Stdout, "%-32s %12s  %s\n", "TABLE", "ENTITIES", "COPY")
	var total int64
	for _, job := range jobs {
		n, err := opts.Service.CountEntities(ctx, job.name)
		if err != nil {
			return err
		}
		total += n
		fmt.Fprintf(opts.Stdout, "%-32s %12d  %s\n", job.name, n, describeJob(job))
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

// describeJob describes in a few words what a table's backup would copy.
func describeJob(job tableJob) string {
	var s string
	switch {
	case job.watermark != nil:
		s = "changes since " + job.watermark.Format("2006-01-02T15:04:05Z")
	case job.fullReason != "":
		s = "all entities (" + job.fullReason + ")"
	default:
		s = "all entities"
	}
	if job.base != nil && (job.watermark == nil || job.keyScan) {
		s += ", deletes since " + job.base.entry.ID()
	}
	return s
}
