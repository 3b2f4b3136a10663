package manifest

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
)

// progressStep is how many lines verify reads between progress updates.
const progressStep = 1000

// maxProblemsPerFile caps the problems reported for one file, so that a
// file of a million bad lines gives a readable report.
const maxProblemsPerFile = 20

// VerifyOptions select what Verify checks.
type VerifyOptions struct {
	// Tables limits the data checks to these tables; nil checks all of them.
	// Every table named must be in the manifest.
	Tables []string
	// Progress, when set, is called as each table's check starts, with the
	// number of lines it will read. It returns the function that counts
	// lines read and the one that ends the count.
	Progress func(table string, lines int64) (add func(n int64), done func())
	// VerifyKeys, when set, must include the key that signed the manifest:
	// a missing or wrong signature is a problem.
	VerifyKeys []ed25519.PublicKey
	// Keys decrypt encrypted files. Without an identity, the hash of an
	// encrypted file is checked, but its content is not read.
	Keys codec.Keys
	// LegacyTypes chooses how the values of a .NET tool backup are typed;
	// empty means entity.LegacyInfer.
	LegacyTypes entity.LegacyTypes
}

// Problem is one thing wrong with a backup.
type Problem struct {
	// File is the file concerned, relative to the backup folder; empty for
	// the folder as a whole.
	File string `json:"file,omitempty"`
	// Line is the 1-based line number, or 0 when the problem is not about
	// one line.
	Line    int64  `json:"line,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	switch {
	case p.File != "" && p.Line > 0:
		return fmt.Sprintf("%s: line %d: %s", p.File, p.Line, p.Message)
	case p.File != "":
		return fmt.Sprintf("%s: %s", p.File, p.Message)
	}
	return p.Message
}

// TableResult is the outcome of verifying one table.
type TableResult struct {
	Name     string `json:"table"`
	File     string `json:"file"`
	Entities int64  `json:"entities"`
	Bytes    int64  `json:"bytes"`
	OK       bool   `json:"ok"`
}

// Report is the outcome of Verify.
type Report struct {
	Dir      string        `json:"dir"`
	Manifest *Manifest     `json:"-"`
	Tables   []TableResult `json:"tables"`
	Problems []Problem     `json:"problems"`
	// Signature is "valid" when VerifyKeys checked it, "not checked" when
	// the backup is signed but no key was given, and "none" when it is not
	// signed. A missing or bad signature with a key given is a problem.
	Signature string `json:"signature,omitempty"`
	// Unread lists the encrypted files whose hash was checked but whose
	// content was not read, for want of an identity.
	Unread []string `json:"unread,omitempty"`
	// Warnings are about a backup that verified but that a restore may
	// not reproduce exactly, such as one of the .NET tool.
	Warnings []string `json:"warnings,omitempty"`

	keys    codec.Keys
	missing map[string]bool // listed files absent from the folder
	count   func(n int64)   // counts lines read for the progress display
	legacy  *legacyCheck    // set while verifying a .NET tool backup
}

// OK reports whether Verify found no problem.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Err returns a *VerificationError listing the problems, or nil.
func (r *Report) Err() error {
	if r.OK() {
		return nil
	}
	return &VerificationError{Dir: r.Dir, Problems: r.Problems}
}

// VerificationError is a backup that failed verification.
type VerificationError struct {
	Dir      string
	Problems []Problem
}

func (e *VerificationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "backup %s failed verification with %d problem(s):", e.Dir, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Verify checks that the backup in dir is complete and unaltered. The
// manifest must be valid, and every file it lists present with the recorded
// SHA-256. No data file may be unlisted. Every data file must decode to its
// end with every line a valid entity, no key twice and the recorded number
// of entities. It reports every problem it
// finds rather than stopping at the first. The error is non-nil only when
// the context ends.
func Verify(ctx context.Context, dir string, opts VerifyOptions) (*Report, error) {
	r := &Report{Dir: dir, Problems: []Problem{}, Tables: []TableResult{}, keys: opts.Keys}
	if err := checkFolder(dir); err != nil {
		r.Problems = append(r.Problems, Problem{Message: err.Error()})
		return r, nil
	}
	if strings.HasPrefix(filepath.Base(filepath.Clean(dir)), TempPrefix) {
		// A backup killed after writing its manifest but before the
		// rename leaves a folder that is whole in every other way. It
		// never finished, so it is not a backup.
		r.Problems = append(r.Problems, Problem{Message: "this is the temporary folder of a backup that did not finish, not a backup; restore from a folder without the " + TempPrefix + " prefix"})
		return r, nil
	}
	m, err := Read(dir)
	if errors.Is(err, ErrLegacy) {
		return r.verifyLegacy(ctx, opts)
	}
	if err != nil {
		r.Problems = append(r.Problems, Problem{File: FileName, Message: trimPathPrefix(err.Error(), dir)})
		return r, nil
	}
	r.Manifest = m
	r.checkSignature(opts.VerifyKeys)

	names, err := m.SelectTables(opts.Tables)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Message: err.Error()})
		return r, nil
	}
	r.checkFolder(m)

	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		r.checkTable(ctx, name, m.Tables[name], m.FileHashes, opts.Progress)
	}
	if opts.Tables == nil {
		r.checkOtherFiles(m)
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, nil
}

func trimPathPrefix(msg, dir string) string {
	return strings.TrimPrefix(strings.TrimPrefix(msg, dir+"/"+FileName+": "), dir+": ")
}

// Signature states of a Report.
const (
	SignatureValid      = "valid"
	SignatureNotChecked = "not checked"
	SignatureNone       = "none"
)

func (r *Report) checkSignature(keys []ed25519.PublicKey) {
	_, err := os.Lstat(filepath.Join(r.Dir, SignatureFile))
	signed := err == nil
	switch {
	case keys == nil && signed:
		r.Signature = SignatureNotChecked
	case keys == nil:
		r.Signature = SignatureNone
	default:
		if err := CheckSignature(r.Dir, keys); err != nil {
			r.Problems = append(r.Problems, Problem{File: SignatureFile, Message: strings.TrimPrefix(err.Error(), SignatureFile+": ")})
			return
		}
		r.Signature = SignatureValid
	}
}

// checkFolder compares the folder's files with the manifest: every listed
// file must exist, and every data file must be listed.
func (r *Report) checkFolder(m *Manifest) {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Message: fmt.Sprintf("read folder: %v", err)})
		return
	}
	present := map[string]bool{}
	for _, e := range entries {
		present[e.Name()] = true
		if _, listed := m.FileHashes[e.Name()]; listed || e.Name() == FileName {
			continue
		}
		if _, isData := codec.ForFile(e.Name()); isData {
			r.Problems = append(r.Problems, Problem{File: e.Name(), Message: "data file not listed in the manifest; remove it or restore from an unaltered copy of the backup"})
		}
	}
	var files []string
	for name := range m.FileHashes {
		files = append(files, name)
	}
	sort.Strings(files)
	r.missing = map[string]bool{}
	for _, name := range files {
		if !present[name] {
			r.missing[name] = true
			r.Problems = append(r.Problems, Problem{File: name, Message: "file is missing"})
		}
	}
}

// checkOtherFiles compares the hash of every listed file that belongs to no
// table, so that the manifest vouches for each file it lists.
func (r *Report) checkOtherFiles(m *Manifest) {
	tableFiles := map[string]bool{}
	for _, t := range m.Tables {
		for _, name := range t.Files() {
			tableFiles[name] = true
		}
	}
	if m.Legacy != nil {
		// checkTombstones compares the hash of the file of deletes.
		tableFiles[m.Legacy.TombstonesFile] = true
	}
	var names []string
	for name := range m.FileHashes {
		if !tableFiles[name] && !r.missing[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		sum, err := hashFile(filepath.Join(r.Dir, name))
		switch {
		case err != nil:
			r.Problems = append(r.Problems, Problem{File: name, Message: err.Error()})
		case sum != m.FileHashes[name]:
			r.Problems = append(r.Problems, Problem{File: name, Message: fmt.Sprintf("SHA-256 is %s, but the manifest records %s: the file was changed after the backup", sum, m.FileHashes[name])})
		}
	}
}

// hashFile returns the lowercase hex SHA-256 of a regular file.
func hashFile(path string) (string, error) {
	info, err := os.Lstat(path)
	if err != nil {
		return "", err
	}
	if err := checkRegular(info); err != nil {
		return "", err
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkTable verifies the files of one table and records its result.
func (r *Report) checkTable(ctx context.Context, name string, t Table, hashes map[string]string, progress func(string, int64) (func(int64), func())) {
	res := TableResult{Name: name, File: t.File}
	r.count = func(int64) {}
	if progress != nil {
		add, done := progress(name, t.EntityCount+t.KeyCount+t.DeletedCount)
		r.count = add
		defer done()
	}
	data := r.checkFile(ctx, t.File, "entities", t.EntityCount, hashes[t.File])
	res.Bytes = data.bytes
	res.Entities = data.lines
	ok := data.ok
	if t.KeysFile != "" {
		keys := r.checkFile(ctx, t.KeysFile, "keys", t.KeyCount, hashes[t.KeysFile])
		ok = ok && keys.ok
		if data.ok && keys.ok {
			ok = r.checkSubset(t.File, data.keys, t.KeysFile, keys.keys) && ok
		}
		data.keys = unionKeys(data.keys, keys.keys)
	}
	if t.DeletedFile != "" {
		deleted := r.checkFile(ctx, t.DeletedFile, "keys", t.DeletedCount, hashes[t.DeletedFile])
		ok = ok && deleted.ok
		if data.ok && deleted.ok {
			ok = r.checkDisjoint(t.DeletedFile, deleted.keys, data.keys) && ok
		}
	}
	res.OK = ok && ctx.Err() == nil
	r.Tables = append(r.Tables, res)
}

// checkSubset reports every key of inner that outer lacks: the keys file
// of a table must list every entity its data file holds.
func (r *Report) checkSubset(innerFile string, inner map[[16]byte]int64, outerFile string, outer map[[16]byte]int64) bool {
	missing := 0
	for k, line := range inner {
		if _, ok := outer[k]; !ok {
			missing++
			if missing <= maxProblemsPerFile {
				r.Problems = append(r.Problems, Problem{File: innerFile, Line: line, Message: "the key of this entity is missing from " + outerFile})
			}
		}
	}
	if missing > maxProblemsPerFile {
		r.Problems = append(r.Problems, Problem{File: innerFile, Message: fmt.Sprintf("%d more keys missing from %s not shown", missing-maxProblemsPerFile, outerFile)})
	}
	return missing == 0
}

// checkDisjoint reports every deleted key that the same backup also lists
// as alive.
func (r *Report) checkDisjoint(deletedFile string, deleted, alive map[[16]byte]int64) bool {
	both := 0
	for k, line := range deleted {
		if _, ok := alive[k]; ok {
			both++
			if both <= maxProblemsPerFile {
				r.Problems = append(r.Problems, Problem{File: deletedFile, Line: line, Message: "this key is listed as deleted, but the same backup also holds it"})
			}
		}
	}
	return both == 0
}

func unionKeys(a, b map[[16]byte]int64) map[[16]byte]int64 {
	if len(b) > len(a) {
		a, b = b, a
	}
	for k, v := range b {
		if _, ok := a[k]; !ok {
			a[k] = v
		}
	}
	return a
}

// fileCheck is the outcome of checking one file of a table.
type fileCheck struct {
	ok    bool
	lines int64
	bytes int64
	// keys maps the digest of each key to its line.
	keys map[[16]byte]int64
}

// checkFile decodes one file of a table to its end and checks its hash,
// its line count and that no key appears twice. what names the lines in
// messages: "entities" or "keys". Its problems go to r, a changed hash
// first, because it is the cause of everything else.
func (r *Report) checkFile(ctx context.Context, name, what string, wantLines int64, wantSum string) (out fileCheck) {
	out.keys = map[[16]byte]int64{}
	var problems []Problem
	failed := false
	add := func(line int64, format string, args ...any) {
		failed = true
		problems = append(problems, Problem{File: name, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	defer func() {
		r.Problems = append(r.Problems, problems...)
		out.ok = !failed && ctx.Err() == nil
	}()

	if c, ok := codec.ForFile(name); ok && len(r.keys.Identities) == 0 && !r.missing[name] {
		if _, sealed := codec.Encrypted(c); sealed {
			return r.hashOnly(name, wantSum, wantLines, add)
		}
	}
	d, err := r.openData(name)
	if err != nil {
		failed = true
		if !r.missing[name] { // checkFolder reported it already
			add(0, "%s", strings.TrimPrefix(err.Error(), name+": "))
		}
		return out
	}
	defer d.Close()

	lineProblems := 0
	addLine := func(line int64, format string, args ...any) {
		lineProblems++
		if lineProblems <= maxProblemsPerFile {
			add(line, format, args...)
		}
	}
	for ctx.Err() == nil {
		e, line, err := d.Next()
		if err == io.EOF {
			break
		}
		var lerr *LineError
		if errors.As(err, &lerr) {
			out.lines++
			if out.lines%progressStep == 0 {
				r.count(progressStep)
			}
			addLine(lerr.Line, "%v", lerr.Err)
			continue
		}
		if err != nil {
			add(0, "%s", strings.TrimPrefix(err.Error(), name+": "))
			if herr := d.HashRest(); herr != nil {
				add(0, "%v", herr)
			}
			break
		}
		out.lines++
		if out.lines%progressStep == 0 {
			r.count(progressStep)
		}
		if what == "keys" && (len(e.Properties) > 0 || e.Timestamp != nil) {
			addLine(line, "holds properties besides PartitionKey and RowKey, but a key file lists keys only")
		}
		k := e.Key().Digest()
		if first, dup := out.keys[k]; dup {
			addLine(line, "duplicate key (%s), first seen on line %d", e.Key(), first)
			continue
		}
		out.keys[k] = line
	}
	if ctx.Err() != nil {
		return out
	}
	out.bytes = d.Bytes()
	r.count(out.lines % progressStep)
	if lineProblems > maxProblemsPerFile {
		add(0, "%d more line problems in this file not shown", lineProblems-maxProblemsPerFile)
	}
	if out.lines != wantLines {
		add(0, "holds %d %s, but the manifest records %d", out.lines, what, wantLines)
	}
	if sum := d.Sum(); sum != wantSum && !r.unhashed(wantSum) {
		failed = true
		msg := fmt.Sprintf("SHA-256 is %s, but the manifest records %s: the file was changed or damaged after the backup", sum, wantSum)
		if len(problems) > 0 {
			msg += ", so the problems below may follow from that"
		}
		problems = append([]Problem{{File: name, Message: msg}}, problems...)
	}
	return out
}

// hashOnly checks the hash of an encrypted file that cannot be decrypted
// here. Its line count is taken from the manifest, so it is only as
// trustworthy as the manifest, which a signature proves.
func (r *Report) hashOnly(name, wantSum string, wantLines int64, add func(int64, string, ...any)) fileCheck {
	out := fileCheck{keys: map[[16]byte]int64{}}
	info, err := os.Lstat(filepath.Join(r.Dir, name))
	sum, herr := hashFile(filepath.Join(r.Dir, name))
	switch {
	case herr != nil:
		add(0, "%v", herr)
		return out
	case sum != wantSum:
		add(0, "SHA-256 is %s, but the manifest records %s: the file was changed or damaged after the backup", sum, wantSum)
		return out
	}
	if err == nil {
		out.bytes = info.Size()
	}
	out.lines = wantLines
	r.count(wantLines)
	r.Unread = append(r.Unread, name)
	return out
}
