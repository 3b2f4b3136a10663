package sampledata

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
)

// Service limits that the EdmTypes table reaches exactly.
const (
	// MaxStringUnits is the longest string property: 64 KiB of UTF-16,
	// 32,768 code units.
	MaxStringUnits = 32 << 10
	// MaxBinaryBytes is the largest binary property, 64 KiB.
	MaxBinaryBytes = 64 << 10
	// MaxProperties is the most properties an entity may have besides
	// PartitionKey, RowKey and Timestamp.
	MaxProperties = 252
	// MaxPropertyNameLength is the longest property name in characters.
	MaxPropertyNameLength = 255
)

// addEdmTypes fills the EdmTypes table. Each partition contains the edge
// values of one EDM type in a property named Value, so that one property
// name carries eight different types across the table. The "mixed"
// partition contains entities at the service's limits, and the "keys"
// partition contains keys with characters that need escaping in URLs and
// OData key predicates.
func (g *generator) addEdmTypes() {
	for _, b := range edmStrings() {
		g.put(EdmTypes, b)
	}
	for _, b := range edmNumbers() {
		g.put(EdmTypes, b)
	}
	for _, b := range g.edmOthers() {
		g.put(EdmTypes, b)
	}
	for _, b := range g.edmLimits() {
		g.put(EdmTypes, b)
	}
	for _, b := range edmKeys() {
		g.put(EdmTypes, b)
	}
}

// edmStrings returns strings that look like values of other types, which a
// tool that guesses types from values would convert, and strings with
// characters that JSON must escape.
func edmStrings() []*builder {
	values := []struct{ rowKey, value string }{
		{"empty", ""},
		{"date-like", "2026-03-29T12:00:00Z"},
		{"number-like", "0123"},
		{"bool-like", "true"},
		{"double-like", "5.0"},
		{"nan-like", "NaN"},
		{"null-like", "null"},
		{"guid-like", "c9da6455-213d-42c9-9a79-3e9149a57833"},
		{"int64-like", "9223372036854775807"},
		{"base64-like", "AQID"},
		{"escapes", "quote \" backslash \\ slash / tab \t newline \n return \r backspace \b form feed \f"},
		{"control", "bell \a escape \x1b delete \x7f"},
		{"unicode", "Zoë Søren José 李 O'Brien — 😀 👩‍👩‍👧 עברית العربية zero\u200bwidth line\u2028separator bom\ufeff"},
		{"html", "<script>alert('x')</script> & &amp; </>"},
		{"whitespace", "  leading and trailing  "},
		// Each "aé😀" is 4 UTF-16 code units and 7 UTF-8 bytes, so the
		// limit is reached in code units while the byte count is larger.
		{"max-length", strings.Repeat("aé😀", MaxStringUnits/4)},
	}
	var out []*builder
	for _, v := range values {
		out = append(out, newEntity("string", v.rowKey).String("Value", v.value))
	}
	return out
}

func edmNumbers() []*builder {
	var out []*builder
	int32s := []struct {
		rowKey string
		value  int32
	}{{"min", math.MinInt32}, {"max", math.MaxInt32}, {"zero", 0}, {"minus-one", -1}}
	for _, v := range int32s {
		out = append(out, newEntity("int32", v.rowKey).Int32("Value", v.value))
	}

	// Int64 values are written as JSON strings of their exact digits.
	// 2^53+1 is the first integer that a float64 cannot hold, and 42 fits
	// an Int32 but must stay an Int64.
	int64s := []struct{ rowKey, digits string }{
		{"min", "-9223372036854775808"},
		{"max", "9223372036854775807"},
		{"2^53+1", "9007199254740993"},
		{"2^53", "9007199254740992"},
		{"2^31", "2147483648"},
		{"fits-int32", "42"},
		{"zero", "0"},
		{"minus-one", "-1"},
	}
	for _, v := range int64s {
		out = append(out, newEntity("int64", v.rowKey).Raw("Value", entity.Int64, `"`+v.digits+`"`))
	}

	doubles := []struct {
		rowKey string
		value  float64
	}{
		{"integral", 5},
		{"zero", 0},
		// NOTE: Azurite 3.35.0 returns -0.0 as 0.0, so this value does
		// not survive a round trip through it.
		{"negative-zero", math.Copysign(0, -1)},
		{"tenth", 0.1},
		{"third", 1.0 / 3},
		{"negative", -273.15},
		{"max", math.MaxFloat64},
		{"min-normal", 0x1p-1022},
		{"min-subnormal", math.SmallestNonzeroFloat64},
		{"small", 1.5e-8},
		{"1e21", 1e21},
		{"2^53", 1 << 53},
		{"NaN", math.NaN()},
		{"Infinity", math.Inf(1)},
		{"-Infinity", math.Inf(-1)},
	}
	for _, v := range doubles {
		out = append(out, newEntity("double", v.rowKey).Double("Value", v.value))
	}
	return out
}

func (g *generator) edmOthers() []*builder {
	s := g.src
	out := []*builder{
		newEntity("boolean", "true").Bool("Value", true),
		newEntity("boolean", "false").Bool("Value", false),
	}

	// The Table service stores DateTime from 1601-01-01, the start of the
	// Windows FILETIME epoch, to the end of year 9999.
	dates := []struct{ rowKey, value string }{
		{"min", "1601-01-01T00:00:00.0000000Z"},
		{"max", "9999-12-31T23:59:59.9999999Z"},
		{"precise", "2013-08-02T17:37:43.0090043Z"},
		{"epoch", "1970-01-01T00:00:00.0000000Z"},
		{"leap-day", "2024-02-29T23:59:59.9999999Z"},
		{"base", formatDateTime(BaseTime)},
	}
	for _, v := range dates {
		out = append(out, newEntity("datetime", v.rowKey).Raw("Value", entity.DateTime, `"`+v.value+`"`))
	}

	guids := []struct{ rowKey, value string }{
		{"zero", "00000000-0000-0000-0000-000000000000"},
		{"max", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
		{"random", s.guid()},
	}
	for _, v := range guids {
		out = append(out, newEntity("guid", v.rowKey).Guid("Value", v.value))
	}

	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	binaries := []struct {
		rowKey string
		value  []byte
	}{
		{"empty", []byte{}},
		{"one-zero-byte", []byte{0}},
		{"all-byte-values", allBytes},
		{"max-size", s.bytes(MaxBinaryBytes)},
	}
	for _, v := range binaries {
		out = append(out, newEntity("binary", v.rowKey).Binary("Value", v.value))
	}
	return out
}

// edmLimits returns entities at the service's limits: every type in one
// entity, no properties at all, the most properties, the longest property
// name, and an entity close to the 1 MiB size limit.
func (g *generator) edmLimits() []*builder {
	s := g.src
	allTypes := newEntity("mixed", "all-types").
		String("AString", "text").
		Int32("AnInt32", 7).
		Int64("AnInt64", math.MaxInt64).
		Double("ADouble", 5).
		Bool("ABoolean", true).
		DateTime("ADateTime", BaseTime.Add(9_009_004_300)).
		Guid("AGuid", s.guid()).
		Binary("ABinary", []byte("binary\x00data"))

	wide := newEntity("mixed", "max-properties")
	for i := range MaxProperties {
		name := fmt.Sprintf("P%03d", i)
		switch i % 8 {
		case 0:
			wide.String(name, fmt.Sprintf("value %d", i))
		case 1:
			wide.Int32(name, int32(i))
		case 2:
			wide.Int64(name, int64(i)<<40)
		case 3:
			wide.Double(name, float64(i)+0.5)
		case 4:
			wide.Bool(name, i%3 == 0)
		case 5:
			wide.DateTime(name, BaseTime.Add(time.Duration(i)*time.Hour))
		case 6:
			wide.Guid(name, s.guid())
		case 7:
			wide.Binary(name, s.bytes(i))
		}
	}

	longName := "L" + strings.Repeat("o", MaxPropertyNameLength-5) + "name"
	names := newEntity("mixed", "property-names").
		String(longName, "the longest property name").
		String("_leadingUnderscore", "x").
		String("Größe", "a non-ASCII property name").
		String("name", "starts with a lower-case letter")

	// Azure counts an entity's size as 4 bytes, plus 2 bytes per character
	// of each key, plus for each property 8 bytes, 2 bytes per character of
	// its name, and its value. A binary value counts its length plus 4.
	// Azurite 3.35.0 instead counts the UTF-8 bytes of the JSON request
	// body, where base64 makes binary values a third larger. Eleven 64 KiB
	// blobs come to about 721,000 bytes by Azure's count and 962,000 by
	// Azurite's, both under the 1,048,576 allowed.
	large := newEntity("mixed", "large")
	for i := range 11 {
		large.Binary(fmt.Sprintf("Blob%02d", i), s.bytes(MaxBinaryBytes))
	}

	return []*builder{
		allTypes,
		newEntity("mixed", "no-properties"),
		wide,
		names,
		large,
	}
}

// edmKeys returns entities whose keys contain characters that need escaping
// in a URL path or an OData key predicate, and a key of the maximum size.
// None contains '/', '\', '#', '?' or a control character, which the
// service forbids.
func edmKeys() []*builder {
	rowKeys := []string{
		"it's",
		"''",
		"space in key",
		"percent%20encoded",
		"plus+sign",
		"ampersand&equals=",
		"colon:semicolon;comma,",
		"brackets()[]{}",
		"at@dollar$tilde~",
		"quote\"double",
		"ünïcödé",
		"emoji😀",
		"trailing.",
		"x",
		// 512 characters are 1,024 bytes in UTF-16, the key size limit.
		strings.Repeat("k", entity.MaxKeyBytes/2),
	}
	var out []*builder
	for _, rk := range rowKeys {
		out = append(out, newEntity("keys", rk).String("Value", fmt.Sprintf("row key of %d bytes", len(rk))))
	}
	out = append(out,
		newEntity("it's a partition", "x").String("Value", "partition key with a quote"),
		newEntity("keys|pipe", "a|b").String("Value", "pipes, as in the Authagonal lookup keys"),
	)
	return out
}
