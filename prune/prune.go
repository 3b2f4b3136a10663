package prune

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
)

// DefaultGrace is the default age a temporary folder must reach before
// prune removes it.
const DefaultGrace = 24 * time.Hour

// Options configure one prune.
type Options struct {
	// Dir is the folder of backups, the --output of backup.
	Dir    string
	Policy Policy
	// Grace is the age, by modification time, from which a temporary
	// folder of a backup that did not finish is removed.
	Grace time.Duration
	// DryRun plans and reports, and removes nothing.
	DryRun bool
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	Log zerolog.Logger
}

// Action is the step prune takes with one entry of the folder.
type Action string

// Actions.
const (
	// Keep is for a complete backup that the policy or a chain keeps.
	Keep Action = "keep"
	// Remove is for a complete backup that nothing keeps, and for a
	// temporary folder older than the grace period.
	Remove Action = "remove"
	// Leave is for every other entry: damaged and incomplete backups,
	// temporary folders younger than the grace period, foreign entries.
	Leave Action = "leave"
)

// Backup is the decision on one complete backup.
type Backup struct {
	ID     string    `json:"id"`
	Dir    string    `json:"dir"`
	Time   time.Time `json:"time"`
	Mode   string    `json:"mode"`
	Parent string    `json:"parent,omitempty"`
	// Bytes is the size of the files in the backup folder.
	Bytes    int64    `json:"bytes"`
	Action   Action   `json:"action"`
	Reasons  []string `json:"reasons"`
	NeededBy []string `json:"neededBy"`
	// Removed is set once the folder is gone.
	Removed bool `json:"removed"`
}

// Kinds of the entries that are not complete backups.
const (
	KindTemporary  = "temporary"
	KindIncomplete = "incomplete"
	KindDamaged    = "damaged"
	KindForeign    = "foreign"
	// KindLegacy is a backup of the Authagonal .NET backup tool. Its
	// chains and marks are not this tool's, so prune never removes it.
	KindLegacy = "legacy"
)

// Other is an entry of the folder that is not a complete backup.
type Other struct {
	Name   string `json:"name"`
	Dir    string `json:"dir"`
	Kind   string `json:"kind"`
	Action Action `json:"action"`
	Reason string `json:"reason"`
	// Removed is set once the folder is gone.
	Removed bool `json:"removed"`
}

// Result is the plan of a prune and, unless it was a dry run, what was
// removed.
type Result struct {
	Dir     string    `json:"dir"`
	DryRun  bool      `json:"dryRun"`
	Policy  Policy    `json:"policy"`
	Backups []*Backup `json:"backups"`
	Others  []*Other  `json:"others"`
	// Warnings name broken chains and marks that name no backup.
	Warnings []string `json:"warnings"`
}

// Run plans a prune of opts.Dir and, unless opts.DryRun, removes what the
// plan removes. It holds the folder's lock, the one backup takes, from
// before it reads the folder until it is done, so no backup can start or
// finish in between. A dry run reads without the lock and writes nothing.
// On an error during removal, the Removed fields of the result mark what
// was removed already.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.Policy.Validate(); err != nil {
		return nil, err
	}
	if opts.Grace < 0 {
		return nil, fmt.Errorf("invalid --grace %s: expected 0 or a positive duration such as 24h", opts.Grace)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if err := checkDir(opts.Dir); err != nil {
		return nil, err
	}
	if !opts.DryRun {
		unlock, err := lock(opts.Dir)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}

	res, err := Inspect(opts.Dir, opts.Policy, opts.Grace, opts.Now())
	if err != nil {
		return nil, err
	}
	res.DryRun = opts.DryRun
	for _, w := range res.Warnings {
		opts.Log.Warn().Msg(w)
	}
	logPlan(res, opts.Log)
	if opts.DryRun {
		return res, nil
	}
	return res, Apply(ctx, res, opts.Log)
}

// checkDir rejects a folder of backups that does not exist, is a file, or
// is one backup.
func checkDir(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("folder of backups %s does not exist; give the --output folder of backup", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a folder; give the --output folder of backup, such as ./backups", dir)
	case manifest.IsBackup(dir):
		return fmt.Errorf("%s is one backup, not a folder of backups; give the folder that contains it, %s", dir, filepath.Dir(filepath.Clean(dir)))
	}
	return nil
}

// lock takes the lock file of the folder of backups.
func lock(dir string) (func(), error) {
	unlock, err := fsutil.Lock(filepath.Join(dir, backup.LockFile))
	if errors.Is(err, fsutil.ErrLocked) {
		return nil, fmt.Errorf("a backup or another prune is running in %s; run prune again when it has finished", dir)
	}
	return unlock, err
}

// Inspect reads the folder of backups and plans the prune without changing
// anything. now and grace decide which temporary folders are old enough to
// remove.
func Inspect(dir string, policy Policy, grace time.Duration, now time.Time) (*Result, error) {
	if err := checkDir(dir); err != nil {
		return nil, err
	}
	entries, err := manifest.Scan(dir)
	if err != nil {
		return nil, err
	}
	marks, err := backup.ReadMarks(dir)
	if err != nil {
		return nil, fmt.Errorf("%w; prune needs the marks to know what the next incremental follows", err)
	}
	res := &Result{Dir: dir, Policy: policy, Backups: []*Backup{}, Others: []*Other{}, Warnings: []string{}}

	pins, warnings := markPins(marks, entries)
	res.Warnings = append(res.Warnings, warnings...)
	extraPins, err := unexpectedFilePins(entries)
	if err != nil {
		return nil, err
	}
	pins = append(pins, extraPins...)

	plan := NewPlan(entries, policy, pins)
	res.Warnings = append(res.Warnings, plan.Warnings...)
	for _, d := range plan.Backups {
		b, err := newBackup(d)
		if err != nil {
			return nil, err
		}
		res.Backups = append(res.Backups, b)
	}

	others, err := listOthers(dir, entries, grace, now)
	if err != nil {
		return nil, err
	}
	res.Others = others
	return res, nil
}

// markPins pins each backup that a mark of .lastbackup names. A mark that
// names a backup not in the folder gets a warning: the next incremental
// then copies that table from the mark's time, or in full.
func markPins(marks *backup.Marks, entries []*manifest.Entry) ([]Pin, []string) {
	present := map[string]bool{}
	for _, e := range entries {
		present[e.ID()] = true
		present[e.Name] = true
	}
	tablesByID := map[string][]string{}
	for table, mark := range marks.Tables {
		if mark.BackupID != "" {
			tablesByID[mark.BackupID] = append(tablesByID[mark.BackupID], table)
		}
	}
	ids := make([]string, 0, len(tablesByID))
	for id := range tablesByID {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	var pins []Pin
	var warnings []string
	for _, id := range ids {
		if !present[id] {
			sort.Strings(tablesByID[id])
			warnings = append(warnings, fmt.Sprintf("%s names backup %s as the last one of table(s) %s, but it is not in the folder",
				backup.MarksFile, id, strings.Join(tablesByID[id], ", ")))
			continue
		}
		pins = append(pins, Pin{ID: id, Reason: "named in " + backup.MarksFile})
	}
	return pins, warnings
}

// unexpectedFilePins pins each complete backup whose folder contains an
// entry that backup did not write: anything but the manifest, its
// signature and the files the manifest lists. Prune does not delete it.
func unexpectedFilePins(entries []*manifest.Entry) ([]Pin, error) {
	var pins []Pin
	for _, e := range entries {
		if e.Status != manifest.Complete {
			continue
		}
		items, err := os.ReadDir(e.Dir)
		if err != nil {
			return nil, fmt.Errorf("read backup folder: %w", err)
		}
		var extra []string
		for _, item := range items {
			name := item.Name()
			_, listed := e.Manifest.FileHashes[name]
			if !listed && name != manifest.FileName && name != manifest.SignatureFile {
				extra = append(extra, name)
			}
		}
		if len(extra) > 0 {
			pins = append(pins, Pin{ID: e.ID(), Reason: fmt.Sprintf(
				"holds %s, which its manifest does not list; remove it by hand if it is not needed", strings.Join(extra, ", "))})
		}
	}
	return pins, nil
}

func newBackup(d *Decision) (*Backup, error) {
	e := d.Entry
	m := e.Manifest
	b := &Backup{
		ID: e.ID(), Dir: e.Dir, Time: e.Time().UTC(), Mode: m.Mode, Parent: m.ParentBackupID,
		Action: Remove, Reasons: []string{}, NeededBy: []string{},
	}
	if d.Keep {
		b.Action = Keep
		b.Reasons = append(b.Reasons, d.Reasons...)
		b.NeededBy = append(b.NeededBy, d.NeededBy...)
	}
	size, err := folderSize(e.Dir)
	if err != nil {
		return nil, err
	}
	b.Bytes = size
	return b, nil
}

// folderSize returns the size of the regular files directly inside dir,
// which is every file a backup writes.
func folderSize(dir string) (int64, error) {
	items, err := os.ReadDir(dir)
	if err != nil {
		return 0, fmt.Errorf("read backup folder: %w", err)
	}
	var n int64
	for _, item := range items {
		info, err := item.Info()
		if err != nil {
			return 0, fmt.Errorf("read backup folder %s: %w", dir, err)
		}
		if info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n, nil
}

// logPlan logs the counts of the plan.
func logPlan(res *Result, log zerolog.Logger) {
	var keep, remove, temporary int
	var bytes int64
	for _, b := range res.Backups {
		if b.Action == Keep {
			keep++
		} else {
			remove++
			bytes += b.Bytes
		}
	}
	for _, o := range res.Others {
		if o.Action == Remove {
			temporary++
		}
	}
	log.Info().Str(logging.Dir, res.Dir).Int("keep", keep).Int("remove", remove).Int64(logging.Bytes, bytes).
		Int("temporary_folders", temporary).Int("left_alone", len(res.Others)-temporary).Bool("dry_run", res.DryRun).
		Msg("prune planned")
}
