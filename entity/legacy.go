package entity

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// LegacyTypes chooses how ParseLegacy types the plain JSON values of a line
// written by the Authagonal .NET backup tool, which records no EDM types.
type LegacyTypes string

const (
	// LegacyInfer types values as the .NET restore tool did. A string that
	// reads as an ISO 8601 date-time becomes a DateTime, and a 36-character
	// GUID string a Guid. A whole number becomes an Int32, or an Int64 when
	// it does not fit.
	LegacyInfer LegacyTypes = "infer"
	// LegacyString keeps every string a String. Numbers and booleans are
	// typed as with LegacyInfer.
	LegacyString LegacyTypes = "string"
)

// ParseLegacyTypes parses a --legacy-types value. The empty string means
// LegacyInfer.
func ParseLegacyTypes(s string) (LegacyTypes, error) {
	switch t := LegacyTypes(strings.ToLower(strings.TrimSpace(s))); t {
	case "":
		return LegacyInfer, nil
	case LegacyInfer, LegacyString:
		return t, nil
	}
	return "", fmt.Errorf("invalid --legacy-types %q: expected infer or string", s)
}

// Names of the fields that the .NET backup tool writes besides the keys,
// the Timestamp and the properties.
const (
	// legacyETag is the entity's ETag, which a restore never sends.
	legacyETag = "ETag"
	// legacyTypedMarker marks a line of a later .NET format that carries
	// type annotations. ParseLegacy rejects such lines.
	legacyTypedMarker = "@v"
)

// ParseLegacy converts one line of a backup written by the Authagonal .NET
// backup tool into a typed Entity. The line is one JSON object of
// PartitionKey, RowKey, Timestamp, ETag and the properties as plain JSON
// values with no "@odata.type" annotations. ETag and OData control
// properties are ignored and null properties are dropped, as the .NET
// restore did. Each other value gets the EDM type that types chooses, and a
// value is rewritten in the typed line format where its type requires it:
// an Int64 becomes a quoted string, a DateTime an RFC 3339 UTC time.
//
// It rejects a line that is not one JSON object of scalar values, has a
// missing or non-string key, names a property twice, carries annotations,
// or has a Timestamp that is not a date-time.
func ParseLegacy(line []byte, types LegacyTypes) (*Entity, error) {
	data := bytes.Clone(line)
	if err := checkLine(data); err != nil {
		return nil, err
	}
	fields, err := readObject(data)
	if err != nil {
		return nil, err
	}

	values := make(map[string]json.RawMessage, len(fields))
	for _, f := range fields {
		if f.name == legacyTypedMarker {
			return nil, invalidf("the line has the %q marker of a typed .NET backup format that this version does not read; restore it with the .NET tool, then take a backup with authagonal-tables", legacyTypedMarker)
		}
		if strings.HasSuffix(f.name, annotationSuffix) {
			return nil, invalidf("annotation %q in a line of a .NET tool backup, whose lines carry no type annotations; the file is not in the format its manifest declares", f.name)
		}
		if _, dup := values[f.name]; dup {
			return nil, invalidf("property %q appears twice", f.name)
		}
		values[f.name] = f.value
	}

	e := &Entity{}
	if e.PartitionKey, err = keyValue(values, PartitionKey); err != nil {
		return nil, err
	}
	if e.RowKey, err = keyValue(values, RowKey); err != nil {
		return nil, err
	}
	for _, f := range fields {
		switch {
		case f.name == PartitionKey || f.name == RowKey || f.name == legacyETag || isControlProperty(f.name):
			continue
		case f.value[0] == 'n':
			// The .NET tool writes no null values; a null is dropped, as
			// its restore did, because the service stores none.
			continue
		case f.name == Timestamp:
			if e.Timestamp, err = legacyTimestamp(f.value); err != nil {
				return nil, err
			}
			continue
		}
		p, err := inferProperty(f, types)
		if err != nil {
			return nil, err
		}
		e.Properties = append(e.Properties, p)
	}
	return e, nil
}

// checkLine applies the checks of every line: valid UTF-8 and no lone
// UTF-16 surrogate in a \u escape.
func checkLine(data []byte) error {
	if !utf8.Valid(data) {
		return invalidf("not valid UTF-8")
	}
	if err := checkSurrogates(data); err != nil {
		return invalidf("%v", err)
	}
	return nil
}

// legacyTimestamp converts the Timestamp of a .NET line, a DateTimeOffset
// such as "2026-12-04T01:59:58.1234567+00:00", to the RFC 3339 UTC form of
// the line format.
func legacyTimestamp(raw json.RawMessage) (json.RawMessage, error) {
	if raw[0] != '"' {
		return nil, invalidf("property %q is %s, expected a date-time string", Timestamp, describeJSON(raw))
	}
	s, err := decodeString(raw)
	if err != nil {
		return nil, invalidf("property %q: %v", Timestamp, err)
	}
	t, ok := parseISODateTime(s)
	if !ok {
		return nil, invalidf("property %q: %q is not an ISO 8601 date-time such as 2026-12-04T01:59:58.1234567+00:00", Timestamp, s)
	}
	return formatDateTime(t), nil
}

// inferProperty types one property of a .NET line.
func inferProperty(f field, types LegacyTypes) (Property, error) {
	p := Property{Name: f.name}
	switch c := f.value[0]; {
	case c == 't' || c == 'f':
		p.Type, p.Value = Boolean, f.value
	case c == '"':
		p.Type, p.Value = String, f.value
		if types == LegacyString {
			break
		}
		s, err := decodeString(f.value)
		if err != nil {
			return Property{}, invalidf("property %q: %v", f.name, err)
		}
		p.Type, p.Value = inferString(s, f.value)
	default:
		typ, value, err := inferNumber(f.value)
		if err != nil {
			return Property{}, invalidf("property %q: %v", f.name, err)
		}
		p.Type, p.Value = typ, value
	}
	return p, nil
}

// inferString returns the type of a string value as the .NET restore
// inferred it, with the value in the line format of that type. It tries a
// date-time first and then a GUID, in the .NET tool's order.
func inferString(s string, raw json.RawMessage) (string, json.RawMessage) {
	if looksLikeDateTime(s) {
		if t, ok := parseISODateTime(s); ok {
			return DateTime, formatDateTime(t)
		}
	}
	if isGUID(s) {
		return Guid, raw
	}
	return String, raw
}

// looksLikeDateTime applies the .NET restore's guard before it tried to
// parse a string as a date: 19 to 35 characters, starting with a digit.
func looksLikeDateTime(s string) bool {
	return len(s) >= 19 && len(s) <= 35 && s[0] >= '0' && s[0] <= '9'
}

// isoLayouts are the ISO 8601 forms that ParseLegacy reads as a DateTime:
// a "T" or a space between date and time, seconds with an optional
// fraction of up to 9 digits, and "Z", an offset or nothing.
var isoLayouts = []string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
}

// parseISODateTime parses s as an ISO 8601 date-time. A time without a
// zone is taken as UTC.
//
// NOTE: the .NET restore used DateTimeOffset.TryParse, which read a time
// without a zone in the local time zone of the machine that ran it, and
// also read culture-specific forms such as "05/01/2024 08:30:00". Those
// forms stay strings here; docs/migrating.md lists the differences.
func parseISODateTime(s string) (time.Time, bool) {
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		// time.Parse takes any number of fractional digits; .NET keeps
		// 7, the service's precision of 100 ns.
		digits := 0
		for _, c := range s[dot+1:] {
			if c < '0' || c > '9' {
				break
			}
			digits++
		}
		if digits > 7 {
			return time.Time{}, false
		}
	}
	for _, layout := range isoLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formatDateTime formats t as an Edm.DateTime value of the line format:
// a JSON string in UTC with 7 fractional digits.
func formatDateTime(t time.Time) json.RawMessage {
	return json.RawMessage(`"` + t.UTC().Format("2006-01-02T15:04:05.0000000Z") + `"`)
}

// inferNumber returns the type of a JSON number as the .NET restore
// inferred it, with the value in the line format of that type. A whole
// number becomes an Int32 if it fits, else an Int64 if it fits. Any other
// number becomes a Double. The .NET tool wrote the double 5.0 as 5, so
// such a double comes back as an Int32.
func inferNumber(raw json.RawMessage) (string, json.RawMessage, error) {
	if isPlainInteger(raw) {
		if n, err := strconv.ParseInt(string(raw), 10, 32); err == nil {
			return Int32, json.RawMessage(strconv.FormatInt(n, 10)), nil
		}
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return Int64, json.RawMessage(`"` + strconv.FormatInt(n, 10) + `"`), nil
		}
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
		return "", nil, fmt.Errorf("number %s is out of the range of a double", raw)
	}
	return Double, raw, nil
}
