package backup

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// DefaultOverlap is the default safety margin subtracted from a table's
// mark. It covers clock differences between the service's storage nodes.
const DefaultOverlap = 5 * time.Minute

// tableJob is the plan for backing up one table.
type tableJob struct {
	name string
	// watermark selects the entities changed at or after it; nil copies
	// every entity.
	watermark *time.Time
	// fullReason is the reason an incremental copies the table in full.
	fullReason string
	// base is the earlier copy of the table that this one follows, or nil.
	base *baseCopy
	// previous lists the files that together hold every key a restore of
	// the chain up to base can leave in the table: the key set of the
	// newest copy that recorded one, and the data files of every copy
	// after it. Without an earlier key set it lists every copy's data.
	previous []keySource
	// keyScan requests a keys-only scan of the whole table, so that the
	// backup records the complete key set although it copies only changes.
	keyScan bool
}

// baseCopy is a table's copy in an earlier backup.
type baseCopy struct {
	entry *manifest.Entry
	table manifest.Table
}

// keySource is a file of an earlier backup whose keys the deletes are
// computed against.
type keySource struct {
	entry *manifest.Entry
	file  string
}

// incremental is the state an incremental backup follows: the newest
// backup in the output folder, its chain and the marks.
type incremental struct {
	parent *manifest.Entry
	// chain is the parent's chain, oldest first.
	chain []*manifest.Entry
	marks *Marks
}

// prepareIncremental finds the backup an incremental follows and reads the
// marks. With no earlier backup it returns an empty incremental, which
// copies every table in full.
func prepareIncremental(opts Options, log zerolog.Logger) (*incremental, error) {
	inc := &incremental{}
	marks, legacy, err := readMarks(opts.Output)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	inc.marks = marks
	if legacy {
		log.Info().Str("mark", marks.Others.ServiceTime.Format("2006-01-02T15:04:05.0000000Z")).
			Msg(MarksFile + " holds a single timestamp, as the .NET backup tool writes; using it as the mark of every table")
	}

	entries, err := manifest.Scan(opts.Output)
	if err != nil {
		return inc, nil // the output folder does not exist yet
	}
	inc.parent = manifest.Newest(entries)
	for _, e := range entries {
		if e.Status == manifest.Damaged && (inc.parent == nil || inc.parent.Name < e.Name) {
			log.Warn().Str(logging.Dir, e.Dir).Err(e.Err).Msg("skipping a damaged backup newer than the one this incremental follows")
		}
	}
	if inc.parent == nil {
		log.Info().Msg("no earlier backup in the output folder; this incremental copies every table in full")
		return inc, nil
	}
	if acc := inc.parent.Manifest.Account; acc != nil && !sameAccount(acc, opts.Service.Account()) {
		return nil, fmt.Errorf("the newest backup in %s, %s, is of account %q at %s, not %q at %s; an incremental must follow a backup of the same account, so give each account its own --output",
			opts.Output, inc.parent.Name, acc.Name, acc.TableEndpoint, opts.Service.Account().Name, opts.Service.Account().Endpoint)
	}
	if prefix := inc.parent.Manifest.TablePrefix; !strings.EqualFold(prefix, opts.Service.Prefix()) {
		return nil, fmt.Errorf("the newest backup in %s, %s, is of the table prefix %q, not %q; an incremental must follow a backup of the same tables, so give each prefix its own --output",
			opts.Output, inc.parent.Name, prefix, opts.Service.Prefix())
	}
	chain, problems := manifest.Chain(entries, inc.parent)
	if len(problems) > 0 {
		return nil, fmt.Errorf("the newest backup, %s, cannot be followed by an incremental: %s; take a full backup to start a new chain", inc.parent.Name, problems[0])
	}
	inc.chain = chain
	log.Info().Str("parent", inc.parent.ID()).Int("chain", len(chain)).Msg("incremental follows the newest backup")
	return inc, nil
}

// copies returns the copies of table in the parent's chain, oldest first.
func (inc *incremental) copies(table string) []*baseCopy {
	var out []*baseCopy
	for _, e := range inc.chain {
		if _, t, ok := e.Manifest.Table(table); ok {
			out = append(out, &baseCopy{entry: e, table: t})
		}
	}
	return out
}

// keySources returns the files whose keys, together, are a superset of
// the keys a restore of copies leaves in the table: the newest key set,
// and the data of each later copy. A copy taken with --no-track-deletes
// has no key set, so its data stands in for it, and the next incremental
// that tracks deletes still finds every delete since the last key set.
func keySources(copies []*baseCopy) []keySource {
	var sources []keySource
	for i := len(copies) - 1; i >= 0; i-- {
		c := copies[i]
		if c.table.KeysFile != "" {
			sources = append(sources, keySource{entry: c.entry, file: c.table.KeysFile})
			break
		}
		sources = append(sources, keySource{entry: c.entry, file: c.table.File})
	}
	slices.Reverse(sources) // oldest first, the order the files were written
	return sources
}

// job decides how an incremental backs up table. A table is copied from
// its watermark, the mark minus the overlap, when it has a mark that the
// parent's chain can follow; otherwise it is copied in full. Either way the
// deletes are computed against the chain's newest copy of the table when
// that copy recorded its key set.
func (inc *incremental) job(table string, overlap time.Duration, trackDeletes bool, log zerolog.Logger) tableJob {
	copies := inc.copies(table)
	var base *baseCopy
	if len(copies) > 0 {
		base = copies[len(copies)-1]
	}
	job := tableJob{name: table, base: base, previous: keySources(copies)}
	mark, hasMark := inc.marks.Lookup(table)
	var from time.Time
	switch {
	case !hasMark:
		job.fullReason = "no mark in " + MarksFile + " for this table"
	case mark.BackupID != "" && base == nil:
		job.fullReason = fmt.Sprintf("its last backup, %s, is not in the chain this incremental follows", mark.BackupID)
	case base != nil && mark.BackupID == "":
		// A .NET mark: it names no backup, so the older of it and the
		// chain's last copy loses nothing.
		from = mark.ServiceTime
		if st := base.table.ServiceTime; st != nil && st.Before(from) {
			from = *st
		}
	case base != nil && mark.BackupID != base.entry.ID():
		// The marks file lags behind the backups, as when a run was
		// stopped between writing its manifest and its marks, or it was
		// replaced. The older of the two times loses nothing.
		from = mark.ServiceTime
		if st := base.table.ServiceTime; st != nil && st.Before(from) {
			from = *st
		}
		log.Warn().Str(logging.Table, table).Str("mark_backup", mark.BackupID).Str("chain_backup", base.entry.ID()).
			Msg("the mark in " + MarksFile + " is not from the chain's last backup of this table; copying the changes since the older of the two")
	default:
		from = mark.ServiceTime
	}
	if job.fullReason != "" {
		return job
	}
	w := from.Add(-overlap).UTC()
	job.watermark = &w
	job.keyScan = trackDeletes
	return job
}

// fullJob is the job of a table in a full backup.
func fullJob(table string) tableJob { return tableJob{name: table} }

// sameAccount reports whether a backup's recorded account is the one being
// backed up. Every Azurite has the same account name, so the endpoint
// counts too where the manifest records it.
func sameAccount(recorded *manifest.Account, current tables.Account) bool {
	if recorded.Name != "" && recorded.Name != current.Name {
		return false
	}
	return recorded.TableEndpoint == "" || strings.EqualFold(strings.TrimRight(recorded.TableEndpoint, "/"), strings.TrimRight(current.Endpoint, "/"))
}
