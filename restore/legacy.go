package restore

import (
	"strings"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/manifest"
)

// entityReader reads the entities of one file of a backup, each with its
// line number, and hashes the file as it goes. *manifest.DataReader is
// one.
type entityReader interface {
	Next() (*entity.Entity, int64, error)
	Sum() string
	Close() error
}

// openData opens the file name of s that belongs to table, with the line
// parser of its format. The file of deletes of a .NET tool incremental
// lists every table, so only the lines of table are read from it.
func openData(s *step, table, name string, keys codec.Keys, legacyTypes entity.LegacyTypes) (entityReader, error) {
	if s.Manifest.Legacy == nil {
		return manifest.OpenData(s.Dir, name, keys)
	}
	if name == s.Manifest.Legacy.TombstonesFile {
		r, err := manifest.OpenTombstones(s.Dir, name)
		if err != nil {
			return nil, err
		}
		return &tableDeletes{TombstoneReader: r, table: table}, nil
	}
	return manifest.OpenLegacyData(s.Dir, name, legacyTypes)
}

// tableDeletes reads the deletes of one table from the file of deletes of
// a .NET tool incremental.
type tableDeletes struct {
	*manifest.TombstoneReader
	table string
}

// Next returns the next delete of the table, skipping the lines of other
// tables. Table names match case-insensitively, as in the service.
func (d *tableDeletes) Next() (*entity.Entity, int64, error) {
	for {
		table, e, line, err := d.TombstoneReader.Next()
		if err != nil || strings.EqualFold(table, d.table) {
			return e, line, err
		}
	}
}
