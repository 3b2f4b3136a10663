package entity

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// readObject splits data, which must be exactly one JSON object of scalar
// values, into its fields in order. Values are returned as raw JSON.
func readObject(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, invalidf("not a JSON object: %v", jsonError(err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, invalidf("not a JSON object")
	}

	var fields []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, invalidf("malformed JSON: %v", jsonError(err))
		}
		name, ok := tok.(string)
		if !ok {
			return nil, invalidf("malformed JSON: expected a property name")
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, invalidf("property %q: malformed JSON: %v", name, jsonError(err))
		}
		if value[0] == '{' || value[0] == '[' {
			return nil, invalidf("property %q is %s; entity properties hold only strings, numbers and booleans", name, describeJSON(value))
		}
		fields = append(fields, field{name: name, value: value})
	}
	if _, err := dec.Token(); err != nil {
		return nil, invalidf("malformed JSON: %v", jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidf("data after the end of the JSON object")
	}
	return fields, nil
}

func jsonError(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not standard padded base64: %v", err)
	}
	return b, nil
}

// needsAnnotation reports whether a property of type typ must carry an
// "@odata.type" annotation. Doubles always carry one, so that an integral
// double such as 5.0 can never be read back as an Int32.
func needsAnnotation(typ string) bool {
	return typ != String && typ != Int32 && typ != Boolean
}

// AppendLine appends the entity in the backup line format to dst, without
// a trailing newline, and returns the extended buffer. The keys come first,
// then the Timestamp if known, then each property with its annotation.
// Values are copied byte for byte.
func (e *Entity) AppendLine(dst []byte) []byte {
	return e.appendJSON(dst, true)
}

// AppendWireBody appends the JSON body that inserts or replaces the entity
// to dst. It differs from AppendLine only in leaving out the Timestamp,
// which the service sets itself.
func (e *Entity) AppendWireBody(dst []byte) []byte {
	return e.appendJSON(dst, false)
}

func (e *Entity) appendJSON(dst []byte, withTimestamp bool) []byte {
	dst = append(dst, `{"PartitionKey":`...)
	dst = appendString(dst, e.PartitionKey)
	dst = append(dst, `,"RowKey":`...)
	dst = appendString(dst, e.RowKey)
	if withTimestamp && e.Timestamp != nil {
		dst = append(dst, `,"Timestamp@odata.type":"Edm.DateTime","Timestamp":`...)
		dst = append(dst, e.Timestamp...)
	}
	for _, p := range e.Properties {
		if needsAnnotation(p.Type) {
			dst = append(dst, ',')
			dst = appendString(dst, p.Name+annotationSuffix)
			dst = append(dst, ':', '"')
			dst = append(dst, p.Type...)
			dst = append(dst, '"')
		}
		dst = append(dst, ',')
		dst = appendString(dst, p.Name)
		dst = append(dst, ':')
		dst = append(dst, p.Value...)
	}
	return append(dst, '}')
}

// appendString appends s as a JSON string. It escapes like encoding/json
// but leaves <, > and & alone, so keys stay readable in the files.
func appendString(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // A string always encodes.
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}
