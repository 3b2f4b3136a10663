package restore

import (
	"fmt"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/manifest"
)

// checkLegacy rejects a backup of the .NET tool that restore cannot apply
// in full: an incremental with deletes, which that tool lists for every
// table in one file of its own format.
func checkLegacy(dir string, m *manifest.Manifest) error {
	if m.Legacy == nil || m.Legacy.TombstonesFile == "" {
		return nil
	}
	return fmt.Errorf("%s is an incremental backup of the .NET backup tool with %d deletes in %s, which authagonal-tables does not apply; restore it with the .NET tool, or restore the full backup before it and take a backup with authagonal-tables",
		dir, m.Legacy.TombstoneCount, m.Legacy.TombstonesFile)
}

// openData opens a data file of s with the line parser of its format.
func openData(s *step, name string, keys codec.Keys, legacyTypes entity.LegacyTypes) (*manifest.DataReader, error) {
	if s.Manifest.Legacy != nil {
		return manifest.OpenLegacyData(s.Dir, name, legacyTypes)
	}
	return manifest.OpenData(s.Dir, name, keys)
}
