package manifest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
)

// legacyCheck is the state of the verification of a .NET tool backup.
type legacyCheck struct {
	types entity.LegacyTypes
	// typed counts the values of the file being checked per EDM type.
	typed map[string]int64
}

// OpenLegacyData opens a data file of a .NET tool backup in dir, like
// OpenData, but converts each line with entity.ParseLegacy and types. Empty
// types means entity.LegacyInfer.
func OpenLegacyData(dir, name string, types entity.LegacyTypes) (*DataReader, error) {
	if types == "" {
		types = entity.LegacyInfer
	}
	// The .NET tool's files are never encrypted with age, so no keys.
	d, err := OpenData(dir, name, codec.Keys{})
	if err != nil {
		return nil, err
	}
	d.parse = withoutBOM(func(line []byte) (*entity.Entity, error) { return entity.ParseLegacy(line, types) })
	return d, nil
}

// withoutBOM returns parse with a UTF-8 byte order mark removed from the
// start of the first line, where the .NET tool's StreamWriter put one.
func withoutBOM(parse func([]byte) (*entity.Entity, error)) func([]byte) (*entity.Entity, error) {
	first := true
	return func(line []byte) (*entity.Entity, error) {
		if first {
			first = false
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		return parse(line)
	}
}

// openData opens a data file of the backup being verified with the line
// parser of its format.
func (r *Report) openData(name string) (*DataReader, error) {
	if r.legacy == nil {
		return OpenData(r.Dir, name, r.keys)
	}
	d, err := OpenLegacyData(r.Dir, name, r.legacy.types)
	if err != nil {
		return nil, err
	}
	parse := d.parse
	d.parse = func(line []byte) (*entity.Entity, error) {
		e, err := parse(line)
		if err == nil {
			for _, p := range e.Properties {
				r.legacy.typed[p.Type]++
			}
		}
		return e, err
	}
	return d, nil
}

// unhashed reports whether a file without a recorded hash may be read
// unchecked. That is allowed only in a .NET tool backup: its manifest may
// record no hashes, and checkLegacyFolder reports a file it leaves out.
func (r *Report) unhashed(wantSum string) bool {
	return wantSum == "" && r.Manifest != nil && r.Manifest.Legacy != nil
}

// verifyLegacy verifies a backup of the .NET tool. It runs the checks of
// Verify that the format allows: every line must convert into a typed
// entity with no key twice, every count must match, and every file must
// have its recorded SHA-256 when the manifest records hashes. Without
// hashes it adds a warning that integrity cannot be proven.
func (r *Report) verifyLegacy(ctx context.Context, opts VerifyOptions) (*Report, error) {
	m, err := ReadLegacy(r.Dir)
	if err != nil {
		r.Problems = append(r.Problems, Problem{File: FileName, Message: trimPathPrefix(err.Error(), r.Dir)})
		return r, nil
	}
	r.Manifest = m
	// The .NET tool signs nothing, so a key given makes the missing
	// signature a problem, as for an unsigned backup of this tool.
	r.checkSignature(opts.VerifyKeys)
	types := opts.LegacyTypes
	if types == "" {
		types = entity.LegacyInfer
	}
	r.legacy = &legacyCheck{types: types}

	names, err := m.SelectTables(opts.Tables)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Message: err.Error()})
		return r, nil
	}
	r.Warnings = append(r.Warnings, legacyWarnings(m)...)
	r.checkLegacyFolder(m)

	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		t := m.Tables[name]
		if t.File == "" {
			r.Tables = append(r.Tables, TableResult{Name: name, OK: true})
			continue
		}
		r.legacy.typed = map[string]int64{}
		r.checkTable(ctx, name, t, m.FileHashes, opts.Progress)
		r.Warnings = append(r.Warnings, inferenceWarning(name, types, r.legacy.typed))
	}
	// Restoring any table reads the whole file of deletes, so it is
	// checked even when Tables selects some tables.
	r.checkTombstones(ctx, m)
	if opts.Tables == nil {
		r.checkOtherFiles(m)
	}
	if err := ctx.Err(); err != nil {
		return r, err
	}
	return r, nil
}

// legacyWarnings returns the warnings about the manifest of a .NET tool
// backup as a whole.
func legacyWarnings(m *Manifest) []string {
	warnings := []string{fmt.Sprintf("backup %s was written by the Authagonal .NET backup tool: its lines carry no EDM types, so the types are inferred; take a backup with authagonal-tables once it is restored", m.BackupID)}
	if !m.Legacy.Hashed {
		warnings = append(warnings, "INTEGRITY NOT PROVEN: the manifest records no file hashes (FileHashes is missing or empty), so nothing shows that the files are the ones the backup wrote; only that every line parses and that the entity counts match was checked")
	}
	if m.Legacy.MAC {
		warnings = append(warnings, "the manifest carries a ManifestMac, which authagonal-tables does not check; the file hashes prove the files match the manifest, not that the manifest is authentic")
	}
	return warnings
}

// inferenceWarning returns the warning for one table of a .NET tool
// backup: how its values were typed and the known errors of that typing.
func inferenceWarning(table string, types entity.LegacyTypes, typed map[string]int64) string {
	var counts []string
	for _, typ := range []string{entity.String, entity.Guid, entity.DateTime, entity.Int32, entity.Int64, entity.Double, entity.Boolean} {
		if n := typed[typ]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, strings.TrimPrefix(typ, "Edm.")))
		}
	}
	summary := "no property values"
	if len(counts) > 0 {
		summary = strings.Join(counts, ", ")
	}
	if types == entity.LegacyString {
		return fmt.Sprintf("table %q: types inferred with --legacy-types string (%s): every string stays a String, so a Guid or DateTime property becomes a String; a whole-number Double, such as 5.0, becomes an Int32 or Int64; a Binary becomes a String", table, summary)
	}
	return fmt.Sprintf("table %q: types inferred from the values (%s): a 36-character GUID string becomes a Guid and an ISO 8601 date-time string a DateTime, even in a String property; a whole-number Double, such as 5.0, becomes an Int32 or Int64; a Binary becomes a String. Pass --legacy-types string to keep every string a String", table, summary)
}

// checkLegacyFolder compares the folder's files with the manifest of a
// .NET tool backup, which names no files: each table's file is named by
// the table and the Compressed flag. Every data file must belong to a
// table or be the file of deletes. When the manifest records hashes,
// every file must have one, as the .NET restore required.
func (r *Report) checkLegacyFolder(m *Manifest) {
	entries, err := os.ReadDir(r.Dir)
	if err != nil {
		r.Problems = append(r.Problems, Problem{Message: fmt.Sprintf("read folder: %v", err)})
		return
	}
	expected := map[string]bool{}
	for _, t := range m.Tables {
		expected[t.File] = true
	}
	expected[m.Legacy.TombstonesFile] = true
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		present[name] = true
		if _, isData := codec.ForFile(name); !isData || expected[name] || name == FileName {
			continue
		}
		msg := "data file not listed in the manifest; remove it or restore from an unaltered copy of the backup"
		if table := tableOfFile(name); table != "" {
			if _, ok := m.Tables[table]; ok {
				msg = fmt.Sprintf("the manifest has Compressed %t, so the file of table %q is %s; this file does not belong to the backup", m.Compressed, table, table+"."+m.Codec)
			}
		}
		r.Problems = append(r.Problems, Problem{File: name, Message: msg})
	}

	r.missing = map[string]bool{}
	var files []string
	for name := range expected {
		files = append(files, name)
	}
	for name := range m.FileHashes {
		if !expected[name] {
			files = append(files, name)
		}
	}
	sort.Strings(files)
	for _, name := range files {
		_, hashed := m.FileHashes[name]
		switch {
		case name == "":
		case !present[name]:
			r.missing[name] = true
			r.Problems = append(r.Problems, Problem{File: name, Message: "file is missing"})
		case present[name] && m.Legacy.Hashed && !hashed:
			r.Problems = append(r.Problems, Problem{File: name, Message: "has no entry in FileHashes, although the manifest records the hashes of other files: the file was added or replaced after the backup, or the manifest was edited"})
		}
	}
}

// tableOfFile returns the table that a data file name of the .NET tool
// names, or "".
func tableOfFile(name string) string {
	for _, suffix := range []string{"." + codec.NameJSONLGzip, "." + codec.NameJSONL} {
		if table, ok := strings.CutSuffix(name, suffix); ok {
			return table
		}
	}
	return ""
}
