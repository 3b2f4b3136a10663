// Package entity parses and validates one Table Storage entity as a line of
// the backup format, and re-encodes it for the service.
//
// The line format is the Table service's own JSON with full type annotations:
// every property whose EDM type is not String, Int32 or Boolean carries a
// "Name@odata.type" annotation. Values are kept as the raw JSON bytes that were
// read, so a value is never reformatted on its way from the service to a file
// and back. An Int64 keeps all of its digits, and a Double stored as 5.0 stays
// 5.0.
package entity

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// EDM type names as they appear in "@odata.type" annotations.
const (
	String   = "Edm.String"
	Int32    = "Edm.Int32"
	Int64    = "Edm.Int64"
	Double   = "Edm.Double"
	Boolean  = "Edm.Boolean"
	DateTime = "Edm.DateTime"
	Guid     = "Edm.Guid"
	Binary   = "Edm.Binary"
)

// System property names.
const (
	PartitionKey = "PartitionKey"
	RowKey       = "RowKey"
	Timestamp    = "Timestamp"
)

const annotationSuffix = "@odata.type"

// Property is one property of an entity other than its keys and Timestamp.
type Property struct {
	Name string
	// Type is the EDM type name, for example "Edm.Int64". It is never empty.
	Type string
	// Value is the JSON value exactly as read: a string, number or boolean.
	Value json.RawMessage
}

// Entity is one validated entity. Properties keep the order in which they
// were read.
type Entity struct {
	PartitionKey string
	RowKey       string
	// Timestamp is the raw JSON string of the service's last-modified time,
	// or nil when the line has none. It is informational and never written
	// back to the service.
	Timestamp  json.RawMessage
	Properties []Property
}

// Key identifies an entity within a table.
type Key struct {
	PartitionKey string
	RowKey       string
}

// Key returns the entity's key.
func (e *Entity) Key() Key { return Key{e.PartitionKey, e.RowKey} }

// Property returns the named property and whether it exists.
func (e *Entity) Property(name string) (Property, bool) {
	for _, p := range e.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// ErrInvalid is wrapped by every validation error that Parse returns.
var ErrInvalid = errors.New("invalid entity")

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Parse validates one line of the backup format and returns its entity. It
// rejects anything that could not be restored exactly. That includes input
// that is not one JSON object, invalid UTF-8, a missing or non-string key and
// a property named twice. It also includes an unknown annotation, an
// annotation without its value, null, nested values, and a value that does
// not parse as its type.
// OData control properties ("odata.etag" and the like) are ignored.
func Parse(line []byte) (*Entity, error) {
	return parse(line, false)
}

// FromService converts one entity object from a Table service response in
// full metadata into an Entity. It differs from Parse in one rule: the
// service leaves some doubles without an annotation, so an unannotated number
// that is not a plain integer is read as a Double.
func FromService(object []byte) (*Entity, error) {
	return parse(object, true)
}

type field struct {
	name  string
	value json.RawMessage
}

func parse(data []byte, fromService bool) (*Entity, error) {
	// The entity keeps slices of the line, and callers reuse their line
	// buffers, so it gets a copy of its own.
	data = bytes.Clone(data)
	if !utf8.Valid(data) {
		return nil, invalidf("not valid UTF-8")
	}
	// Outside strings a JSON object has no backslashes, so this checks every
	// property name and string value at once.
	if err := checkSurrogates(data); err != nil {
		return nil, invalidf("%v", err)
	}
	fields, err := readObject(data)
	if err != nil {
		return nil, err
	}

	values := make(map[string]json.RawMessage, len(fields))
	annotations := make(map[string]string)
	for _, f := range fields {
		if name, ok := strings.CutSuffix(f.name, annotationSuffix); ok {
			if f.value[0] != '"' {
				return nil, invalidf("annotation %q is not a string", f.name)
			}
			typ, err := decodeString(f.value)
			if err != nil {
				return nil, invalidf("annotation %q: %v", f.name, err)
			}
			if _, dup := annotations[name]; dup {
				return nil, invalidf("annotation %q appears twice", f.name)
			}
			annotations[name] = typ
			continue
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
	for _, key := range []string{PartitionKey, RowKey} {
		if typ, ok := annotations[key]; ok && typ != String {
			return nil, invalidf("%s has annotation %q; keys are always %s", key, typ, String)
		}
	}
	for name := range annotations {
		if _, ok := values[name]; !ok {
			return nil, invalidf("annotation %q has no property %q", name+annotationSuffix, name)
		}
	}

	for _, f := range fields {
		if strings.HasSuffix(f.name, annotationSuffix) || f.name == PartitionKey || f.name == RowKey {
			continue
		}
		if isControlProperty(f.name) {
			continue
		}
		if f.name == Timestamp {
			if typ, ok := annotations[Timestamp]; ok && typ != DateTime {
				return nil, invalidf("property %q: annotation %q, expected %q", Timestamp, typ, DateTime)
			}
			if _, err := parseDateTime(f.value); err != nil {
				return nil, invalidf("property %q: %v", Timestamp, err)
			}
			e.Timestamp = f.value
			continue
		}
		typ, err := propertyType(f, annotations, fromService)
		if err != nil {
			return nil, err
		}
		e.Properties = append(e.Properties, Property{Name: f.name, Type: typ, Value: f.value})
	}
	return e, nil
}

// isControlProperty reports whether name is an OData control property such
// as "odata.etag" or "odata.metadata". They describe the response, not the
// entity, and are dropped.
func isControlProperty(name string) bool {
	return strings.HasPrefix(name, "odata.")
}

func keyValue(values map[string]json.RawMessage, name string) (string, error) {
	raw, ok := values[name]
	if !ok {
		return "", invalidf("missing %s", name)
	}
	if len(raw) == 0 || raw[0] != '"' {
		return "", invalidf("%s is %s, expected a string", name, describeJSON(raw))
	}
	s, err := decodeString(raw)
	if err != nil {
		return "", invalidf("%s: %v", name, err)
	}
	return s, nil
}

// propertyType returns the EDM type of f and checks that its value parses
// as that type.
func propertyType(f field, annotations map[string]string, fromService bool) (string, error) {
	typ, annotated := annotations[f.name]
	if !annotated {
		switch {
		case f.value[0] == '"':
			typ = String
		case f.value[0] == 't' || f.value[0] == 'f':
			typ = Boolean
		case f.value[0] == 'n':
			return "", invalidf("property %q is null; the Table service stores no null values", f.name)
		case fromService && !isPlainInteger(f.value):
			typ = Double
		default:
			typ = Int32
		}
	}
	if err := checkValue(typ, f.value); err != nil {
		return "", invalidf("property %q: %v", f.name, err)
	}
	return typ, nil
}

func isPlainInteger(raw []byte) bool {
	return !bytes.ContainsAny(raw, ".eE")
}

// checkValue reports whether raw is a valid JSON encoding of a value of the
// EDM type typ.
func checkValue(typ string, raw json.RawMessage) error {
	switch typ {
	case String:
		if raw[0] != '"' {
			return fmt.Errorf("%s value is %s, expected a string", typ, describeJSON(raw))
		}
		return nil

	case Boolean:
		if !bytes.Equal(raw, []byte("true")) && !bytes.Equal(raw, []byte("false")) {
			return fmt.Errorf("%s value is %s, expected true or false", typ, describeJSON(raw))
		}
		return nil

	case Int32:
		if raw[0] == '"' || !isPlainInteger(raw) {
			return fmt.Errorf("invalid %s %s: expected an unquoted whole number", typ, raw)
		}
		if _, err := strconv.ParseInt(string(raw), 10, 32); err != nil {
			return fmt.Errorf("invalid %s %s: out of range or not a whole number", typ, raw)
		}
		return nil

	case Int64:
		s, err := stringValue(typ, raw)
		if err != nil {
			return err
		}
		if _, err := strconv.ParseInt(s, 10, 64); err != nil || strings.HasPrefix(s, "+") {
			return fmt.Errorf("invalid %s %q: expected a whole number from -9223372036854775808 to 9223372036854775807 in a string", typ, s)
		}
		return nil

	case Double:
		if raw[0] == '"' {
			s, err := stringValue(typ, raw)
			if err != nil {
				return err
			}
			switch s {
			case "NaN", "Infinity", "-Infinity":
				return nil
			}
			return fmt.Errorf("invalid %s %q: a quoted double must be NaN, Infinity or -Infinity", typ, s)
		}
		if raw[0] == 't' || raw[0] == 'f' || raw[0] == 'n' {
			return fmt.Errorf("invalid %s %s: expected a number", typ, raw)
		}
		if _, err := strconv.ParseFloat(string(raw), 64); err != nil {
			return fmt.Errorf("invalid %s %s: %v", typ, raw, errors.Unwrap(err))
		}
		return nil

	case DateTime:
		_, err := parseDateTime(raw)
		return err

	case Guid:
		s, err := stringValue(typ, raw)
		if err != nil {
			return err
		}
		if !isGUID(s) {
			return fmt.Errorf("invalid %s %q: expected 8-4-4-4-12 hexadecimal digits", typ, s)
		}
		return nil

	case Binary:
		s, err := stringValue(typ, raw)
		if err != nil {
			return err
		}
		// The strict decoder still skips line breaks, which the service
		// would not return, so they are rejected here.
		if strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("invalid %s: line break in base64", typ)
		}
		if _, err := decodeBase64(s); err != nil {
			return fmt.Errorf("invalid %s: %v", typ, err)
		}
		return nil
	}
	return fmt.Errorf("unknown type annotation %q; expected one of Edm.String, Edm.Int32, Edm.Int64, Edm.Double, Edm.Boolean, Edm.DateTime, Edm.Guid, Edm.Binary", typ)
}

func stringValue(typ string, raw json.RawMessage) (string, error) {
	if raw[0] != '"' {
		return "", fmt.Errorf("%s value is %s, expected a string", typ, describeJSON(raw))
	}
	return decodeString(raw)
}

// parseDateTime checks an Edm.DateTime value: an RFC 3339 time in UTC,
// ending in "Z", with at most 7 fractional digits after a dot, which is the
// service's precision of 100 ns and the form it sends.
func parseDateTime(raw json.RawMessage) (time.Time, error) {
	s, err := stringValue(DateTime, raw)
	if err != nil {
		return time.Time{}, err
	}
	invalid := fmt.Errorf("invalid %s %q: expected an RFC 3339 UTC time such as 2013-08-02T17:37:43.0090043Z", DateTime, s)
	// time.Parse also takes a comma before the fraction and any offset;
	// the service sends neither.
	if !strings.HasSuffix(s, "Z") || strings.ContainsRune(s, ',') {
		return time.Time{}, invalid
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid
	}
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-2 > 7 {
		return time.Time{}, fmt.Errorf("invalid %s %q: more than 7 fractional digits", DateTime, s)
	}
	return t, nil
}

func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !isHex(c) {
				return false
			}
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// checkSurrogates rejects a JSON string whose \u escapes contain a UTF-16
// surrogate that is not part of a pair. encoding/json would silently turn it
// into U+FFFD, so the value written back would differ from the one read.
func checkSurrogates(raw []byte) error {
	for i := 0; i+5 < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++ // Skip the escaped character, which may itself be a backslash.
			continue
		}
		r, ok := hex4(raw[i+2 : i+6])
		if !ok {
			return fmt.Errorf("invalid escape %q", raw[i:i+6])
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return fmt.Errorf("lone low surrogate %q", raw[i:i+6])
		case r >= 0xD800 && r <= 0xDBFF:
			j := i + 6
			if j+5 >= len(raw) || raw[j] != '\\' || raw[j+1] != 'u' {
				return fmt.Errorf("lone high surrogate %q", raw[i:i+6])
			}
			low, ok := hex4(raw[j+2 : j+6])
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return fmt.Errorf("lone high surrogate %q", raw[i:i+6])
			}
			i = j + 5
		default:
			i += 5
		}
	}
	return nil
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

func describeJSON(raw []byte) string {
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '{':
		return "an object"
	case '[':
		return "an array"
	}
	return "a number"
}
