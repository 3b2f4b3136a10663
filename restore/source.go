package restore

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
)

// source is the list of backups a restore applies: the backups of a chain,
// oldest first, or one backup folder on its own.
type source struct {
	dir   string
	chain []*step
	// single is set when Input named one backup folder. An incremental
	// restored this way is applied on top of what the tables hold.
	single bool
}

// step is one backup of a chain.
type step struct {
	*manifest.Entry
}

// table returns the record of the named table, matched
// case-insensitively.
func (s *step) table(name string) (manifest.Table, bool) {
	_, t, ok := s.Manifest.Table(name)
	return t, ok
}

// deletes returns the file of s that lists the deletes of table and
// their number, or "" when s records none. For a backup of the .NET tool
// the number comes from verification, which counts the lines of its file
// of deletes per table.
func (s *step) deletes(table string) (string, int64) {
	name, t, ok := s.Manifest.Table(table)
	if !ok {
		return "", 0
	}
	if legacy := s.Manifest.Legacy; legacy != nil {
		n := legacy.Deletes[name]
		if n == 0 {
			return "", 0
		}
		return legacy.TombstonesFile, n
	}
	return t.DeletedFile, t.DeletedCount
}

// file returns how a restore names a file of the step in messages: the
// plain name for a single folder, with the backup's folder in a chain.
func (src *source) file(s *step, name string) string {
	if src.single {
		return name
	}
	return s.Name + "/" + name
}

// resolve finds the backups to restore from opts.Input, opts.At and
// opts.Backup.
func resolve(opts Options, log zerolog.Logger) (*source, error) {
	selected := !opts.At.IsZero() || opts.Backup != ""
	if manifest.IsBackup(opts.Input) {
		if selected {
			return nil, fmt.Errorf("%s is one backup folder; --at and --backup choose among the backups of a folder of backups, such as %s", opts.Input, filepath.Dir(filepath.Clean(opts.Input)))
		}
		m, err := manifest.ReadAny(opts.Input)
		if err != nil {
			return nil, err
		}
		e := &manifest.Entry{Name: filepath.Base(filepath.Clean(opts.Input)), Dir: opts.Input, Status: manifest.Complete, Manifest: m}
		if m.Mode == manifest.ModeIncremental {
			if opts.Mode == Clean {
				return nil, fmt.Errorf("%s is an incremental backup; --mode clean with one incremental folder would delete every entity the folder does not hold. Give the folder that holds all the backups to restore the whole chain, or use --mode upsert or merge to apply this increment alone",
					opts.Input)
			}
			log.Warn().Str(logging.Dir, opts.Input).Msg("restoring one incremental backup on its own: its changes and deletes are applied on top of what the tables hold now; give the folder that holds all the backups to restore the whole chain")
		}
		return &source{dir: opts.Input, chain: []*step{{e}}, single: true}, nil
	}

	entries, err := manifest.Scan(opts.Input)
	if err != nil {
		return nil, err
	}
	if manifest.Newest(entries) == nil {
		if strings.HasPrefix(filepath.Base(filepath.Clean(opts.Input)), manifest.TempPrefix) {
			return nil, fmt.Errorf("%s is the temporary folder of a backup that did not finish, not a backup; restore from a folder without the %s prefix", opts.Input, manifest.TempPrefix)
		}
		return nil, fmt.Errorf("%s is neither a backup folder (it has no %s) nor a folder of backups (it holds no complete backup)", opts.Input, manifest.FileName)
	}
	var target *manifest.Entry
	switch {
	case opts.Backup != "":
		if target, err = manifest.Find(entries, opts.Backup); err != nil {
			return nil, fmt.Errorf("--backup: %w in %s", err, opts.Input)
		}
	case !opts.At.IsZero():
		target = manifest.NewestAt(entries, opts.At)
		if target == nil {
			return nil, fmt.Errorf("--at %s: no backup in %s started at or before that time; the oldest is %s",
				opts.At.Format(time.RFC3339), opts.Input, oldest(entries).ID())
		}
	default:
		target = manifest.Newest(entries)
	}
	for _, e := range entries {
		// A damaged folder with no time in its name counts as newer.
		if t := e.Time(); e.Status == manifest.Damaged && (t.IsZero() || target.Manifest.BackupTimestamp.Before(t)) {
			log.Warn().Str(logging.Dir, e.Dir).Err(e.Err).Msg("skipping a damaged backup newer than the one restored; run verify on the folder")
		}
	}
	chain, problems := manifest.Chain(entries, target)
	if len(problems) > 0 {
		return nil, &manifest.VerificationError{Dir: opts.Input, Problems: problems}
	}
	src := &source{dir: opts.Input}
	ids := make([]string, len(chain))
	for i, e := range chain {
		src.chain = append(src.chain, &step{e})
		ids[i] = e.ID()
	}
	log.Info().Str(logging.Dir, opts.Input).Str("backup", target.ID()).Strs("chain", ids).Msg("restoring a backup with its chain")
	return src, nil
}

func oldest(entries []*manifest.Entry) *manifest.Entry {
	for _, e := range entries {
		if e.Status == manifest.Complete {
			return e
		}
	}
	return nil
}

// selectTables returns the tables to restore, sorted: every table of the
// chain, or those of want. A table is spelled as in the newest backup that
// holds it. A name in no backup of the chain is an error that lists the
// tables they hold.
func (src *source) selectTables(want []string) ([]string, error) {
	spelled := map[string]string{}
	for _, s := range src.chain {
		for name := range s.Manifest.Tables {
			spelled[strings.ToLower(name)] = name
		}
	}
	var all []string
	for _, name := range spelled {
		all = append(all, name)
	}
	sort.Strings(all)
	if want == nil {
		return all, nil
	}
	var names, unknown []string
	for _, name := range want {
		if real, ok := spelled[strings.ToLower(name)]; ok {
			names = append(names, real)
		} else {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		what := "the backup"
		if !src.single {
			what = "the backups restored"
		}
		return nil, fmt.Errorf("table(s) %s not found in %s; they contain: %s", strings.Join(unknown, ", "), what, strings.Join(all, ", "))
	}
	sort.Strings(names)
	return names, nil
}

// verify verifies the selected tables' files in every backup of the chain,
// and that the backups fit together. It returns a
// *manifest.VerificationError listing every problem.
func (src *source) verify(ctx context.Context, names []string, opts Options, log zerolog.Logger) error {
	var problems []manifest.Problem
	for _, s := range src.chain {
		if s.Manifest.Encryption != nil && len(opts.Keys.Identities) == 0 {
			return fmt.Errorf("backup %s is encrypted to %s; pass --identity with the matching age identity file (the private key)",
				s.Name, strings.Join(s.Manifest.Encryption.Recipients, ", "))
		}
		var own []string
		for _, name := range names {
			if real, _, ok := s.Manifest.Table(name); ok {
				own = append(own, real)
			}
		}
		log.Info().Str(logging.Dir, s.Dir).Strs("tables", own).Msg("verifying backup before restore")
		if own == nil {
			own = []string{}
		}
		report, err := manifest.Verify(ctx, s.Dir, manifest.VerifyOptions{Tables: own, Keys: opts.Keys, VerifyKeys: opts.VerifyKeys, LegacyTypes: opts.LegacyTypes})
		if err != nil {
			return err
		}
		for _, w := range report.Warnings {
			log.Warn().Str(logging.Dir, s.Dir).Msg(w)
		}
		if legacy := s.Manifest.Legacy; legacy != nil && report.Manifest != nil && report.Manifest.Legacy != nil {
			legacy.Deletes = report.Manifest.Legacy.Deletes
		}
		for _, p := range report.Problems {
			if !src.single {
				p.File = strings.TrimSuffix(s.Name+"/"+p.File, "/")
			}
			problems = append(problems, p)
		}
	}
	if !src.single {
		entries := make([]*manifest.Entry, len(src.chain))
		for i, s := range src.chain {
			entries[i] = s.Entry
		}
		chainProblems, warnings := manifest.CheckChain(entries)
		problems = append(problems, chainProblems...)
		for _, w := range warnings {
			log.Warn().Msg(w)
		}
	}
	if len(problems) > 0 {
		return &manifest.VerificationError{Dir: src.dir, Problems: problems}
	}
	log.Info().Int("backups", len(src.chain)).Int("tables", len(names)).Msg("verified")
	return nil
}
