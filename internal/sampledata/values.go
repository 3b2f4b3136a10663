package sampledata

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authagonal/authagonal-tables/entity"
)

// dateTimeLayout writes an Edm.DateTime the way the Table service returns
// one: UTC with exactly 7 fractional digits, its precision of 100 ns.
const dateTimeLayout = "2006-01-02T15:04:05.0000000Z"

// builder appends typed properties to one entity. Every value is encoded
// as the raw JSON of the backup line format, so entity.Parse accepts the
// entity's line unchanged.
type builder struct {
	e *entity.Entity
}

func newEntity(partitionKey, rowKey string) *builder {
	return &builder{e: &entity.Entity{PartitionKey: partitionKey, RowKey: rowKey}}
}

func (b *builder) add(name, typ string, raw []byte) *builder {
	b.e.Properties = append(b.e.Properties, entity.Property{Name: name, Type: typ, Value: raw})
	return b
}

func (b *builder) String(name, v string) *builder {
	return b.add(name, entity.String, jsonString(v))
}

func (b *builder) Int32(name string, v int32) *builder {
	return b.add(name, entity.Int32, strconv.AppendInt(nil, int64(v), 10))
}

// Int64 writes the digits in a JSON string, as the service does, because
// a JSON number loses precision beyond 2^53 in most readers.
func (b *builder) Int64(name string, v int64) *builder {
	return b.add(name, entity.Int64, jsonString(strconv.FormatInt(v, 10)))
}

func (b *builder) Double(name string, v float64) *builder {
	return b.add(name, entity.Double, formatDouble(v))
}

func (b *builder) Bool(name string, v bool) *builder {
	return b.add(name, entity.Boolean, strconv.AppendBool(nil, v))
}

func (b *builder) DateTime(name string, t time.Time) *builder {
	return b.add(name, entity.DateTime, jsonString(formatDateTime(t)))
}

// Guid writes g, which must be in the 8-4-4-4-12 form, as an Edm.Guid.
func (b *builder) Guid(name, g string) *builder {
	return b.add(name, entity.Guid, jsonString(g))
}

func (b *builder) Binary(name string, data []byte) *builder {
	return b.add(name, entity.Binary, jsonString(base64.StdEncoding.EncodeToString(data)))
}

// JSON writes v encoded as JSON into a String property, the way Authagonal
// stores lists and maps.
func (b *builder) JSON(name string, v any) *builder {
	return b.String(name, string(marshalJSON(v)))
}

// Raw writes a value whose JSON is given exactly, for the edge cases of
// the EdmTypes table.
func (b *builder) Raw(name, typ, rawJSON string) *builder {
	return b.add(name, typ, []byte(rawJSON))
}

// jsonString encodes s as a JSON string the way Azurite 3.35.0 writes one,
// so that a generated value has the same bytes as the value read back:
// quote, backslash and control characters are escaped, and <, > and & are
// not, unlike in encoding/json's default.
//
// The exception is U+2028 and U+2029, which are escaped as encoding/json
// does, although Azurite returns them literally. Azurite 3.35.0 cuts the
// JSON body of a batch operation at a literal line or paragraph separator
// and then rejects the entity with PropertiesNeedValue (HTTP 400), or the
// whole batch with HTTP 500.
func jsonString(s string) []byte {
	const hexDigits = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[r>>4], hexDigits[r&0xf])
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return append(b, '"')
}

func marshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only channels, functions and cyclic values fail to encode, and
		// the generator builds none of them.
		panic("sampledata: encode JSON: " + err.Error())
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// formatDouble writes v the way Azurite 3.35.0 returns an Edm.Double. NaN
// and the infinities are strings, and an integral value gets ".0" so that
// it cannot be taken for an integer. Outside the range from 1e-7 to 1e21
// the value is in exponent notation, as JavaScript writes it.
func formatDouble(v float64) []byte {
	switch {
	case math.IsNaN(v):
		return jsonString("NaN")
	case math.IsInf(v, 1):
		return jsonString("Infinity")
	case math.IsInf(v, -1):
		return jsonString("-Infinity")
	}
	abs := math.Abs(v)
	if abs != 0 && (abs < 1e-7 || abs >= 1e21) {
		// Go writes at least two exponent digits ("1e-08"), JavaScript
		// only the digits needed ("1e-8").
		mantissa, exponent, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e")
		sign, digits := exponent[:1], strings.TrimLeft(exponent[1:], "0")
		return []byte(mantissa + "e" + sign + digits)
	}
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return []byte(s)
}

func formatDateTime(t time.Time) string {
	return t.UTC().Format(dateTimeLayout)
}
