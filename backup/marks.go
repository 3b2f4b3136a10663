package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
)

// MarksFile is the name of the file in the output folder that records,
// per table, where the next incremental backup starts.
const MarksFile = ".lastbackup"

// marksVersion is the FormatVersion of the marks file this tool writes.
const marksVersion = 1

// Mark records the last successful backup of one table.
type Mark struct {
	// ServiceTime is the service's clock when that backup of the table
	// started. The next incremental copies the entities whose Timestamp is
	// at or after ServiceTime minus the overlap.
	ServiceTime time.Time `json:"ServiceTime"`
	// BackupID is the backup that set the mark; empty for a mark read from
	// the single timestamp the .NET backup tool writes.
	BackupID string `json:"BackupId,omitempty"`
}

// Marks is the content of the marks file.
type Marks struct {
	FormatVersion int             `json:"FormatVersion"`
	Tables        map[string]Mark `json:"Tables"`
	// Others is the mark of every table not in Tables. Only a marks file
	// converted from the .NET tool's single timestamp has one.
	Others *Mark `json:"OtherTables,omitempty"`
}

// Lookup returns the mark of table, matched case-insensitively as the
// service matches table names.
func (m *Marks) Lookup(table string) (Mark, bool) {
	if mark, ok := m.Tables[table]; ok {
		return mark, true
	}
	for name, mark := range m.Tables {
		if strings.EqualFold(name, table) {
			return mark, true
		}
	}
	if m.Others != nil {
		return *m.Others, true
	}
	return Mark{}, false
}

// set records a new mark for table, replacing any spelling of its name.
func (m *Marks) set(table string, mark Mark) {
	for name := range m.Tables {
		if strings.EqualFold(name, table) {
			delete(m.Tables, name)
		}
	}
	m.Tables[table] = mark
}

// readMarks reads the marks file of output. A missing file gives empty
// marks. A file holding one plain timestamp, as the .NET backup tool
// writes, is read as the mark of every table; legacy reports that case.
func readMarks(output string) (marks *Marks, legacy bool, err error) {
	path := filepath.Join(output, MarksFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return &Marks{FormatVersion: marksVersion, Tables: map[string]Mark{}}, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	marks, legacy, err = parseMarks(data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w; fix the file, or delete it to copy every table in full in the next incremental", path, err)
	}
	return marks, legacy, nil
}

// ReadMarks reads the marks file of the output folder, as the next
// incremental will. A missing file gives empty marks. A single timestamp
// written by the .NET backup tool gives marks that name no backup.
func ReadMarks(output string) (*Marks, error) {
	marks, _, err := readMarks(output)
	return marks, err
}

func parseMarks(data []byte) (*Marks, bool, error) {
	text := strings.TrimSpace(strings.TrimPrefix(string(data), "\uFEFF"))
	if !strings.HasPrefix(text, "{") {
		t, err := parseLegacyTime(strings.Trim(text, `"`))
		if err != nil {
			return nil, false, err
		}
		return &Marks{FormatVersion: marksVersion, Tables: map[string]Mark{}, Others: &Mark{ServiceTime: t}}, true, nil
	}
	var m Marks
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		var perr *time.ParseError
		if errors.As(err, &perr) {
			return nil, false, fmt.Errorf("invalid time %q: expected an RFC 3339 time such as 2026-12-04T02:00:01Z", strings.Trim(perr.Value, `"`))
		}
		return nil, false, fmt.Errorf("invalid JSON: %w", err)
	}
	if m.FormatVersion != marksVersion {
		return nil, false, fmt.Errorf("unknown FormatVersion %d; this version of authagonal-tables reads version %d", m.FormatVersion, marksVersion)
	}
	if m.Tables == nil {
		m.Tables = map[string]Mark{}
	}
	for name, mark := range m.Tables {
		if mark.ServiceTime.IsZero() {
			return nil, false, fmt.Errorf("table %q has no ServiceTime", name)
		}
	}
	return &m, false, nil
}

// parseLegacyTime parses the timestamp of a .NET marks file: an ISO 8601
// time with up to 7 fractional digits, with an offset or Z. A time without
// an offset is taken as UTC, which is what the .NET tool writes.
func parseLegacyTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02 15:04:05.9999999Z07:00", "2006-01-02 15:04:05.9999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither the JSON this tool writes nor a timestamp such as 2026-12-04T02:00:00.0000000Z", s)
}

// writeMarks replaces the marks file atomically, owner-only.
func writeMarks(output string, m *Marks) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(output, MarksFile), buf.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", MarksFile, err)
	}
	return nil
}
