package manifest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// TombstoneReader reads the file of deletes of a .NET tool incremental,
// in which each line names a table and the keys of an entity deleted from
// it, and hashes the file's bytes as it goes.
type TombstoneReader struct {
	data *DataReader
	// table is the table named by the line that Next parsed last.
	table string
}

// OpenTombstones opens the file of deletes name of the .NET tool
// incremental in dir. The caller closes it.
func OpenTombstones(dir, name string) (*TombstoneReader, error) {
	// The .NET tool's files are never encrypted with age, so no keys.
	d, err := OpenData(dir, name, codec.Keys{})
	if err != nil {
		return nil, err
	}
	r := &TombstoneReader{data: d}
	d.parse = withoutBOM(func(line []byte) (*entity.Entity, error) {
		table, e, err := parseTombstone(line)
		r.table = table
		return e, err
	})
	return r, nil
}

// Next returns the next delete: the table its line names, spelled as in
// the file, an entity with the deleted keys and no properties, and the
// line number. Its errors are those of DataReader.Next: io.EOF once the
// whole file is read, a *LineError for an invalid line, after which Next
// may be called again, and any other error as final.
func (r *TombstoneReader) Next() (string, *entity.Entity, int64, error) {
	r.table = ""
	e, line, err := r.data.Next()
	return r.table, e, line, err
}

// Sum returns the lowercase hex SHA-256 of the bytes read so far.
func (r *TombstoneReader) Sum() string { return r.data.Sum() }

// HashRest reads the rest of the file into the hash without decoding it,
// so that Sum covers the whole file after a decoding error.
func (r *TombstoneReader) HashRest() error { return r.data.HashRest() }

// Close closes the file.
func (r *TombstoneReader) Close() error { return r.data.Close() }

// tombstone is one line of the file of deletes of a .NET tool incremental.
type tombstone struct {
	Table        *string         `json:"Table"`
	PartitionKey *string         `json:"PartitionKey"`
	RowKey       *string         `json:"RowKey"`
	DeletedAt    json.RawMessage `json:"DeletedAt"`
}

// parseTombstone checks one line of a file of deletes and returns the
// table it names and the deleted entity's keys.
func parseTombstone(line []byte) (string, *entity.Entity, error) {
	var t tombstone
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return "", nil, fmt.Errorf("invalid line of deletes: %v; expected {\"Table\":…,\"PartitionKey\":…,\"RowKey\":…,\"DeletedAt\":…}", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", nil, errors.New("invalid line of deletes: data after the JSON object")
	}
	switch {
	case t.Table == nil:
		return "", nil, errors.New("invalid line of deletes: missing Table")
	case t.PartitionKey == nil:
		return "", nil, errors.New("invalid line of deletes: missing PartitionKey")
	case t.RowKey == nil:
		return "", nil, errors.New("invalid line of deletes: missing RowKey")
	}
	if err := tables.ValidateName(*t.Table); err != nil {
		return "", nil, fmt.Errorf("invalid line of deletes: %w", err)
	}
	return *t.Table, &entity.Entity{PartitionKey: *t.PartitionKey, RowKey: *t.RowKey}, nil
}

// checkTombstones checks the file of deletes of a .NET tool incremental
// and counts its deletes per table into m.Legacy.Deletes. Every line must
// name a table and the keys of an entity, the count must match
// TombstoneCount, and the file must have its recorded SHA-256, if the
// manifest records one.
//
// A delete of a table the backup does not hold is not a problem. The .NET
// tool lists the deletes of every table, also in a backup of some tables,
// and it leaves SigningKeys out unless IncludeSigningKeys is set. A warning
// per table counts such deletes, and restore skips them.
func (r *Report) checkTombstones(ctx context.Context, m *Manifest) {
	name := m.Legacy.TombstonesFile
	if name == "" || r.missing[name] {
		return
	}
	d, err := OpenTombstones(r.Dir, name)
	if err != nil {
		r.Problems = append(r.Problems, Problem{File: name, Message: strings.TrimPrefix(err.Error(), name+": ")})
		return
	}
	defer d.Close()

	m.Legacy.Deletes = map[string]int64{}
	var lines, shown, signingKeys int64
	others := map[string]int64{}
	lineProblem := func(line int64, msg string) {
		if shown++; shown <= maxProblemsPerFile {
			r.Problems = append(r.Problems, Problem{File: name, Line: line, Message: msg})
		}
	}
	for ctx.Err() == nil {
		table, _, _, err := d.Next()
		if err == io.EOF {
			break
		}
		var lerr *LineError
		if errors.As(err, &lerr) {
			lines++
			lineProblem(lerr.Line, lerr.Err.Error())
			continue
		}
		if err != nil {
			r.Problems = append(r.Problems, Problem{File: name, Message: strings.TrimPrefix(err.Error(), name+": ")})
			if herr := d.HashRest(); herr != nil {
				r.Problems = append(r.Problems, Problem{File: name, Message: herr.Error()})
			}
			break
		}
		lines++
		real, _, ok := m.Table(table)
		switch {
		case ok:
			m.Legacy.Deletes[real]++
		case strings.EqualFold(table, tables.SigningKeys):
			signingKeys++
		default:
			// The .NET tool records the deletes of every table, also in a
			// backup of a few tables. Such a delete cannot apply to a
			// table the backup does not restore.
			others[table]++
		}
	}
	if ctx.Err() != nil {
		return
	}

	if lines != m.Legacy.TombstoneCount {
		r.Problems = append(r.Problems, Problem{File: name, Message: fmt.Sprintf("holds %d deletes, but the manifest records TombstoneCount %d", lines, m.Legacy.TombstoneCount)})
	}
	if want, ok := m.FileHashes[name]; ok && d.Sum() != want {
		r.Problems = append(r.Problems, Problem{File: name, Message: fmt.Sprintf("SHA-256 is %s, but the manifest records %s: the file was changed after the backup", d.Sum(), want)})
	}
	for _, table := range sortedKeys(others) {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d deletes of table %s are not applied, because the backup does not hold that table: a .NET backup of some tables records the deletes of every table", name, others[table], table))
	}
	if signingKeys > 0 {
		r.Warnings = append(r.Warnings, fmt.Sprintf("%s: %d deletes of table SigningKeys are not applied, because the backup does not hold that table: the .NET backup tool leaves it out unless IncludeSigningKeys is set", name, signingKeys))
	}
}
