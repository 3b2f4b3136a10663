package manifest

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// maxProblemsPerFile caps the problems reported for one file, so that a
// file of a million bad lines gives a readable report.
const maxProblemsPerFile = 20

// VerifyOptions select what Verify checks.
type VerifyOptions struct {
	// Tables limits the data checks to these tables; nil checks all of them.
	// Every table named must be in the manifest.
	Tables []string
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

	missing map[string]bool // listed files absent from the folder
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
	r := &Report{Dir: dir, Problems: []Problem{}, Tables: []TableResult{}}
	if err := checkFolder(dir); err != nil {
		r.Problems = append(r.Problems, Problem{Message: err.Error()})
		return r, nil
	}
	m, err := Read(dir)
	if err != nil {
		r.Problems = append(r.Problems, Problem{File: FileName, Message: trimPathPrefix(err.Error(), dir)})
		return r, nil
	}
	r.Manifest = m

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
		r.checkTable(ctx, name, m.Tables[name], m.FileHashes[m.Tables[name].File])
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
		tableFiles[t.File] = true
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

func (r *Report) checkTable(ctx context.Context, name string, t Table, wantSum string) {
	res := TableResult{Name: name, File: t.File}
	// The file's problems are collected first, so that a changed hash, the
	// cause of everything else, can be reported before them.
	var problems []Problem
	failed := false
	add := func(line int64, format string, args ...any) {
		failed = true
		problems = append(problems, Problem{File: t.File, Line: line, Message: fmt.Sprintf(format, args...)})
	}
	defer func() {
		r.Problems = append(r.Problems, problems...)
		res.OK = !failed && ctx.Err() == nil
		r.Tables = append(r.Tables, res)
	}()

	d, err := OpenData(r.Dir, t.File)
	if err != nil {
		failed = true
		if !r.missing[t.File] { // checkFolder reported it already
			add(0, "%s", strings.TrimPrefix(err.Error(), t.File+": "))
		}
		return
	}
	defer d.Close()

	keys := map[[16]byte]int64{}
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
			res.Entities++
			addLine(lerr.Line, "%v", lerr.Err)
			continue
		}
		if err != nil {
			add(0, "%s", strings.TrimPrefix(err.Error(), t.File+": "))
			if herr := d.HashRest(); herr != nil {
				add(0, "%v", herr)
			}
			break
		}
		res.Entities++
		k := keyDigest(e.Key())
		if first, dup := keys[k]; dup {
			addLine(line, "duplicate key (%s), first seen on line %d", e.Key(), first)
			continue
		}
		keys[k] = line
	}
	if ctx.Err() != nil {
		return
	}
	res.Bytes = d.Bytes()
	if lineProblems > maxProblemsPerFile {
		add(0, "%d more line problems in this file not shown", lineProblems-maxProblemsPerFile)
	}
	if res.Entities != t.EntityCount {
		add(0, "holds %d entities, but the manifest records %d", res.Entities, t.EntityCount)
	}
	if sum := d.Sum(); sum != wantSum {
		failed = true
		problems = append([]Problem{{File: t.File, Message: fmt.Sprintf(
			"SHA-256 is %s, but the manifest records %s: the file was changed or damaged after the backup, so the problems below may follow from that", sum, wantSum)}}, problems...)
	}
}

// keyDigest condenses an entity key to 16 bytes of SHA-256, so that the
// duplicate check of a large table keeps 16 bytes per entity, not the keys.
func keyDigest(k entity.Key) [16]byte {
	h := sha256.New()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(k.PartitionKey)))
	h.Write(n[:])
	h.Write([]byte(k.PartitionKey))
	h.Write([]byte(k.RowKey))
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}
