package entity_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
)

// withKeys returns a line with PartitionKey "p", RowKey "r" and the given
// properties, which are written as JSON members without the braces.
func withKeys(properties string) string {
	if properties == "" {
		return `{"PartitionKey":"p","RowKey":"r"}`
	}
	return `{"PartitionKey":"p","RowKey":"r",` + properties + `}`
}

func TestParseValidTypes(t *testing.T) {
	tests := []struct {
		name      string
		members   string
		wantType  string
		wantValue string
	}{
		{"string", `"A":"hello"`, entity.String, `"hello"`},
		{"string annotated", `"A@odata.type":"Edm.String","A":"hello"`, entity.String, `"hello"`},
		{"string empty", `"A":""`, entity.String, `""`},
		{"string non-ASCII", `"A":"Zürich 東京"`, entity.String, `"Zürich 東京"`},
		{"string escapes kept", `"A":"\u00e9\n\/"`, entity.String, `"\u00e9\n\/"`},
		{"surrogate pair", `"A":"\ud83d\ude00"`, entity.String, `"\ud83d\ude00"`},
		{"int32", `"A":42`, entity.Int32, `42`},
		{"int32 max", `"A":2147483647`, entity.Int32, `2147483647`},
		{"int32 min", `"A":-2147483648`, entity.Int32, `-2147483648`},
		{"int32 annotated", `"A@odata.type":"Edm.Int32","A":7`, entity.Int32, `7`},
		{"boolean true", `"A":true`, entity.Boolean, `true`},
		{"boolean false", `"A":false`, entity.Boolean, `false`},
		{"boolean annotated", `"A@odata.type":"Edm.Boolean","A":true`, entity.Boolean, `true`},
		{"int64", `"A@odata.type":"Edm.Int64","A":"9007199254740993"`, entity.Int64, `"9007199254740993"`},
		{"int64 max", `"A@odata.type":"Edm.Int64","A":"9223372036854775807"`, entity.Int64, `"9223372036854775807"`},
		{"int64 min", `"A@odata.type":"Edm.Int64","A":"-9223372036854775808"`, entity.Int64, `"-9223372036854775808"`},
		{"int64 small", `"A@odata.type":"Edm.Int64","A":"0"`, entity.Int64, `"0"`},
		{"double integral", `"A@odata.type":"Edm.Double","A":5.0`, entity.Double, `5.0`},
		{"double exponent", `"A@odata.type":"Edm.Double","A":-1.5e-3`, entity.Double, `-1.5e-3`},
		{"double whole number", `"A@odata.type":"Edm.Double","A":5`, entity.Double, `5`},
		{"double NaN", `"A@odata.type":"Edm.Double","A":"NaN"`, entity.Double, `"NaN"`},
		{"double Infinity", `"A@odata.type":"Edm.Double","A":"Infinity"`, entity.Double, `"Infinity"`},
		{"double -Infinity", `"A@odata.type":"Edm.Double","A":"-Infinity"`, entity.Double, `"-Infinity"`},
		{"datetime 7 digits", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43.0090043Z"`, entity.DateTime, `"2013-08-02T17:37:43.0090043Z"`},
		{"datetime no fraction", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43Z"`, entity.DateTime, `"2013-08-02T17:37:43Z"`},
		{"datetime 1 digit", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43.5Z"`, entity.DateTime, `"2013-08-02T17:37:43.5Z"`},
		{"guid lowercase", `"A@odata.type":"Edm.Guid","A":"c9da6455-213d-42c9-9a79-3e9149a57833"`, entity.Guid, `"c9da6455-213d-42c9-9a79-3e9149a57833"`},
		{"guid uppercase", `"A@odata.type":"Edm.Guid","A":"C9DA6455-213D-42C9-9A79-3E9149A57833"`, entity.Guid, `"C9DA6455-213D-42C9-9A79-3E9149A57833"`},
		{"binary", `"A@odata.type":"Edm.Binary","A":"AAECAw=="`, entity.Binary, `"AAECAw=="`},
		{"binary one pad", `"A@odata.type":"Edm.Binary","A":"AAE="`, entity.Binary, `"AAE="`},
		{"binary empty", `"A@odata.type":"Edm.Binary","A":""`, entity.Binary, `""`},
		{"annotation after value", `"A":"1","A@odata.type":"Edm.Int64"`, entity.Int64, `"1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := entity.Parse([]byte(withKeys(tt.members)))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			p, ok := e.Property("A")
			if !ok {
				t.Fatalf("property A missing from %+v", e.Properties)
			}
			if p.Type != tt.wantType {
				t.Errorf("Type = %q, expected %q", p.Type, tt.wantType)
			}
			if string(p.Value) != tt.wantValue {
				t.Errorf("Value = %s, expected %s", p.Value, tt.wantValue)
			}
			if len(e.Properties) != 1 {
				t.Errorf("got %d properties, expected 1: %+v", len(e.Properties), e.Properties)
			}
		})
	}
}

func TestParseKeysAndTimestamp(t *testing.T) {
	line := `{"PartitionKey":"tenant-1","RowKey":"user\u00e9","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05.1234567Z","A":1}`
	e, err := entity.Parse([]byte(line))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if e.PartitionKey != "tenant-1" {
		t.Errorf("PartitionKey = %q, expected %q", e.PartitionKey, "tenant-1")
	}
	if e.RowKey != "useré" {
		t.Errorf("RowKey = %q, expected %q", e.RowKey, "useré")
	}
	if want := (entity.Key{PartitionKey: "tenant-1", RowKey: "useré"}); e.Key() != want {
		t.Errorf("Key() = %v, expected %v", e.Key(), want)
	}
	if string(e.Timestamp) != `"2024-01-02T03:04:05.1234567Z"` {
		t.Errorf("Timestamp = %s, expected the raw string", e.Timestamp)
	}
	if _, ok := e.Property("Timestamp"); ok {
		t.Errorf("Timestamp is listed among the properties")
	}
	if _, ok := e.Property("PartitionKey"); ok {
		t.Errorf("PartitionKey is listed among the properties")
	}
	if _, ok := e.Property("Missing"); ok {
		t.Errorf("Property(%q) reports a property that the line lacks", "Missing")
	}
}

func TestParseTimestampUnannotated(t *testing.T) {
	e, err := entity.Parse([]byte(withKeys(`"Timestamp":"2024-01-02T03:04:05Z"`)))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if string(e.Timestamp) != `"2024-01-02T03:04:05Z"` {
		t.Errorf("Timestamp = %s, expected the raw string", e.Timestamp)
	}
}

func TestParseInvalidValues(t *testing.T) {
	tests := []struct {
		name    string
		members string
	}{
		{"int64 over max", `"A@odata.type":"Edm.Int64","A":"9223372036854775808"`},
		{"int64 under min", `"A@odata.type":"Edm.Int64","A":"-9223372036854775809"`},
		{"int64 letters", `"A@odata.type":"Edm.Int64","A":"12abc"`},
		{"int64 unquoted", `"A@odata.type":"Edm.Int64","A":12`},
		{"int64 plus sign", `"A@odata.type":"Edm.Int64","A":"+5"`},
		{"int64 empty", `"A@odata.type":"Edm.Int64","A":""`},
		{"int64 fraction", `"A@odata.type":"Edm.Int64","A":"1.5"`},
		{"int64 space", `"A@odata.type":"Edm.Int64","A":" 5"`},
		{"int64 boolean", `"A@odata.type":"Edm.Int64","A":true`},
		{"int32 over max", `"A":2147483648`},
		{"int32 under min", `"A":-2147483649`},
		{"int32 annotated over max", `"A@odata.type":"Edm.Int32","A":2147483648`},
		{"int32 quoted", `"A@odata.type":"Edm.Int32","A":"5"`},
		{"int32 fraction annotated", `"A@odata.type":"Edm.Int32","A":5.0`},
		{"unannotated fraction", `"A":1.5`},
		{"unannotated 5.0", `"A":5.0`},
		{"unannotated exponent", `"A":1e3`},
		{"guid no hyphens", `"A@odata.type":"Edm.Guid","A":"c9da6455213d42c99a793e9149a57833"`},
		{"guid braces", `"A@odata.type":"Edm.Guid","A":"{c9da6455-213d-42c9-9a79-3e9149a57833}"`},
		{"guid non-hex", `"A@odata.type":"Edm.Guid","A":"g9da6455-213d-42c9-9a79-3e9149a57833"`},
		{"guid short", `"A@odata.type":"Edm.Guid","A":"c9da6455-213d-42c9-9a79-3e9149a5783"`},
		{"guid unquoted", `"A@odata.type":"Edm.Guid","A":5`},
		{"base64 no padding", `"A@odata.type":"Edm.Binary","A":"AAE"`},
		{"base64 URL alphabet", `"A@odata.type":"Edm.Binary","A":"-_8="`},
		{"base64 bad characters", `"A@odata.type":"Edm.Binary","A":"!!!!"`},
		{"base64 extra padding", `"A@odata.type":"Edm.Binary","A":"AA==="`},
		{"base64 unquoted", `"A@odata.type":"Edm.Binary","A":5`},
		{"datetime 8 digits", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43.00900431Z"`},
		{"datetime 8 digits offset", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43.00900431+01:00"`},
		{"datetime space", `"A@odata.type":"Edm.DateTime","A":"2013-08-02 17:37:43Z"`},
		{"datetime date only", `"A@odata.type":"Edm.DateTime","A":"2013-08-02"`},
		{"datetime no zone", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43"`},
		{"datetime comma", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T17:37:43,123456789Z"`},
		{"datetime hour 24", `"A@odata.type":"Edm.DateTime","A":"2013-08-02T24:00:00Z"`},
		{"datetime unquoted", `"A@odata.type":"Edm.DateTime","A":1375465063`},
		{"double nan lowercase", `"A@odata.type":"Edm.Double","A":"nan"`},
		{"double inf", `"A@odata.type":"Edm.Double","A":"inf"`},
		{"double quoted number", `"A@odata.type":"Edm.Double","A":"5.0"`},
		{"double boolean", `"A@odata.type":"Edm.Double","A":true`},
		{"double overflow", `"A@odata.type":"Edm.Double","A":1e400`},
		{"boolean as string", `"A@odata.type":"Edm.Boolean","A":"true"`},
		{"boolean as number", `"A@odata.type":"Edm.Boolean","A":1`},
		{"string annotated number", `"A@odata.type":"Edm.String","A":5`},
		{"null", `"A":null`},
		{"null int64", `"A@odata.type":"Edm.Int64","A":null`},
		{"null string", `"A@odata.type":"Edm.String","A":null`},
		{"null double", `"A@odata.type":"Edm.Double","A":null`},
		{"null int32", `"A@odata.type":"Edm.Int32","A":null`},
		{"object", `"A":{"B":1}`},
		{"array", `"A":[1,2]`},
		{"empty array", `"A":[]`},
		{"timestamp as string type", `"Timestamp@odata.type":"Edm.String","Timestamp":"2024-01-02T03:04:05Z"`},
		{"timestamp not a time", `"Timestamp":"yesterday"`},
		{"timestamp number", `"Timestamp":5`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line := withKeys(tt.members)
			e, err := entity.Parse([]byte(line))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded as %s, expected an error", line, e.AppendLine(nil))
			}
			if !errors.Is(err, entity.ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestParseInvalidLines(t *testing.T) {
	tests := []struct {
		name string
		line string
	}{
		{"missing PartitionKey", `{"RowKey":"r"}`},
		{"missing RowKey", `{"PartitionKey":"p"}`},
		{"missing both keys", `{"A":"x"}`},
		{"PartitionKey number", `{"PartitionKey":1,"RowKey":"r"}`},
		{"PartitionKey null", `{"PartitionKey":null,"RowKey":"r"}`},
		{"RowKey boolean", `{"PartitionKey":"p","RowKey":true}`},
		{"RowKey object", `{"PartitionKey":"p","RowKey":{}}`},
		{"PartitionKey twice", `{"PartitionKey":"p","RowKey":"r","PartitionKey":"q"}`},
		{"property twice", withKeys(`"A":1,"A":2`)},
		{"property twice escaped", withKeys(`"A":1,"\u0041":2`)},
		{"annotation twice", withKeys(`"A@odata.type":"Edm.Int64","A@odata.type":"Edm.Int64","A":"1"`)},
		{"annotation alone", withKeys(`"A@odata.type":"Edm.Int64"`)},
		{"annotation of other", withKeys(`"B@odata.type":"Edm.Int64","A":"1"`)},
		{"unknown annotation", withKeys(`"A@odata.type":"Edm.Decimal","A":"1.5"`)},
		{"unknown annotation on key", `{"PartitionKey@odata.type":"Edm.Decimal","PartitionKey":"p","RowKey":"r"}`},
		{"annotation lowercase type", withKeys(`"A@odata.type":"edm.int64","A":"1"`)},
		{"annotation not string", withKeys(`"A@odata.type":5,"A":"1"`)},
		{"annotation null", withKeys(`"A@odata.type":null,"A":"1"`)},
		{"invalid UTF-8 value", withKeys("\"A\":\"\xff\"")},
		{"invalid UTF-8 name", withKeys("\"\xc3\":\"x\"")},
		{"invalid UTF-8 key", "{\"PartitionKey\":\"\xed\xa0\x80\",\"RowKey\":\"r\"}"},
		{"lone high surrogate", withKeys(`"A":"\ud800"`)},
		{"lone low surrogate", withKeys(`"A":"\udc00"`)},
		{"high then letter", withKeys(`"A":"\ud800\u0041"`)},
		{"high then text", withKeys(`"A":"\ud800abcdef"`)},
		{"reversed pair", withKeys(`"A":"\ude00\ud83d"`)},
		{"surrogate after backslash", withKeys(`"A":"\\\ud800"`)},
		{"surrogate in PartitionKey", `{"PartitionKey":"\ud800","RowKey":"r"}`},
		{"surrogate in RowKey", `{"PartitionKey":"p","RowKey":"x\udc00"}`},
		{"surrogate in name", withKeys(`"\ud800":"x"`)},
		{"empty input", ``},
		{"whitespace only", ` `},
		{"array", `[]`},
		{"string", `"x"`},
		{"unterminated", `{"PartitionKey":"p","RowKey":"r"`},
		{"trailing comma", `{"PartitionKey":"p","RowKey":"r",}`},
		{"missing comma", `{"PartitionKey":"p" "RowKey":"r"}`},
		{"second object", `{"PartitionKey":"p","RowKey":"r"}{}`},
		{"trailing text", `{"PartitionKey":"p","RowKey":"r"} x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := entity.Parse([]byte(tt.line))
			if err == nil {
				t.Fatalf("Parse(%q) succeeded as %q, expected an error", tt.line, e.AppendLine(nil))
			}
			if !errors.Is(err, entity.ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestParseErrorNamesProperty(t *testing.T) {
	_, err := entity.Parse([]byte(withKeys(`"Age@odata.type":"Edm.Int64","Age":"12abc"`)))
	if err == nil {
		t.Fatal("Parse succeeded, expected an error")
	}
	if !strings.Contains(err.Error(), `"Age"`) {
		t.Errorf("error %q does not name the property", err)
	}
	if !strings.Contains(err.Error(), "12abc") {
		t.Errorf("error %q does not show the value", err)
	}
}

func TestParseDropsControlProperties(t *testing.T) {
	line := `{"odata.metadata":"https://example.test/$metadata#Users/@Element","odata.etag":"W/\"datetime'2024-01-02T03%3A04%3A05Z'\"","PartitionKey":"p","RowKey":"r","A":"x"}`
	e, err := entity.Parse([]byte(line))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}

	if len(e.Properties) != 1 {
		t.Errorf("got %d properties, expected only A: %+v", len(e.Properties), e.Properties)
	}
	if _, ok := e.Property("odata.etag"); ok {
		t.Errorf("odata.etag is kept as a property")
	}
	if _, ok := e.Property("odata.metadata"); ok {
		t.Errorf("odata.metadata is kept as a property")
	}
	if out := e.AppendLine(nil); bytes.Contains(out, []byte("odata.etag")) {
		t.Errorf("AppendLine writes odata.etag: %s", out)
	}
	if out := e.AppendLine(nil); bytes.Contains(out, []byte("odata.metadata")) {
		t.Errorf("AppendLine writes odata.metadata: %s", out)
	}
}

// canonicalLines are lines in the order and spelling that AppendLine
// writes, so AppendLine(Parse(line)) must return each one byte for byte.
var canonicalLines = map[string]string{
	"keys only":      `{"PartitionKey":"p","RowKey":"r"}`,
	"empty keys":     `{"PartitionKey":"","RowKey":""}`,
	"keys non-ASCII": `{"PartitionKey":"Zürich <&>","RowKey":"😀 東京"}`,
	"keys escaped":   `{"PartitionKey":"tab\there","RowKey":"quote\"back\\slash"}`,
	"timestamp":      `{"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05.1234567Z"}`,
	"every type": `{"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05Z",` +
		`"S":"text \u00e9\/","I":-7,"B":false,` +
		`"L@odata.type":"Edm.Int64","L":"9007199254740993",` +
		`"D@odata.type":"Edm.Double","D":5.0,` +
		`"E@odata.type":"Edm.Double","E":1.00000000000000000001e+2,` +
		`"N@odata.type":"Edm.Double","N":"NaN",` +
		`"T@odata.type":"Edm.DateTime","T":"2013-08-02T17:37:43.0090043Z",` +
		`"G@odata.type":"Edm.Guid","G":"C9DA6455-213d-42c9-9a79-3e9149a57833",` +
		`"X@odata.type":"Edm.Binary","X":"AAECAw=="}`,
}

func TestAppendLineRoundTrip(t *testing.T) {
	for name, line := range canonicalLines {
		t.Run(name, func(t *testing.T) {
			e, err := entity.Parse([]byte(line))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := string(e.AppendLine(nil)); got != line {
				t.Errorf("AppendLine:\n got %s\nwant %s", got, line)
			}
		})
	}
}

func TestAppendLineAppends(t *testing.T) {
	e, err := entity.Parse([]byte(`{"PartitionKey":"p","RowKey":"r"}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	got := string(e.AppendLine([]byte("prefix:")))
	if want := `prefix:{"PartitionKey":"p","RowKey":"r"}`; got != want {
		t.Errorf("AppendLine = %s, expected %s", got, want)
	}
}

func TestAppendLineReorders(t *testing.T) {
	line := `{ "A@odata.type" : "Edm.Int64", "RowKey" : "r", "A" : "1", "Timestamp" : "2024-01-02T03:04:05Z", "PartitionKey" : "p", "B" : 2 }`
	want := `{"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05Z","A@odata.type":"Edm.Int64","A":"1","B":2}`
	e, err := entity.Parse([]byte(line))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := string(e.AppendLine(nil)); got != want {
		t.Errorf("AppendLine:\n got %s\nwant %s", got, want)
	}
}

func TestAppendWireBody(t *testing.T) {
	line := `{"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05Z","A@odata.type":"Edm.Int64","A":"1","B":true}`
	want := `{"PartitionKey":"p","RowKey":"r","A@odata.type":"Edm.Int64","A":"1","B":true}`
	e, err := entity.Parse([]byte(line))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := string(e.AppendWireBody(nil)); got != want {
		t.Errorf("AppendWireBody:\n got %s\nwant %s", got, want)
	}
}

func TestFromService(t *testing.T) {
	response := `{"odata.metadata":"https://example.test/$metadata#Users/@Element","odata.etag":"W/\"x\"",` +
		`"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05.1234567Z",` +
		`"D":5.0,"E":1e3,"I":5,"L@odata.type":"Edm.Int64","L":"9007199254740993"}`
	want := `{"PartitionKey":"p","RowKey":"r","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2024-01-02T03:04:05.1234567Z",` +
		`"D@odata.type":"Edm.Double","D":5.0,"E@odata.type":"Edm.Double","E":1e3,"I":5,"L@odata.type":"Edm.Int64","L":"9007199254740993"}`
	e, err := entity.FromService([]byte(response))
	if err != nil {
		t.Fatalf("FromService: %v", err)
	}

	tests := []struct {
		name     string
		wantType string
	}{
		{"D", entity.Double},
		{"E", entity.Double},
		{"I", entity.Int32},
		{"L", entity.Int64},
	}
	for _, tt := range tests {
		p, ok := e.Property(tt.name)
		if !ok {
			t.Errorf("property %s missing", tt.name)
			continue
		}
		if p.Type != tt.wantType {
			t.Errorf("property %s: Type = %q, expected %q", tt.name, p.Type, tt.wantType)
		}
	}
	if got := string(e.AppendLine(nil)); got != want {
		t.Errorf("AppendLine:\n got %s\nwant %s", got, want)
	}
}

func TestFromServiceInvalid(t *testing.T) {
	tests := []struct {
		name   string
		object string
	}{
		{"missing RowKey", `{"PartitionKey":"p"}`},
		{"null", withKeys(`"A":null`)},
		{"int32 overflow", withKeys(`"A":2147483648`)},
		{"double overflow", withKeys(`"A":1e400`)},
		{"nested", withKeys(`"A":{"B":1}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := entity.FromService([]byte(tt.object))
			if err == nil {
				t.Fatalf("FromService(%s) succeeded as %s, expected an error", tt.object, e.AppendLine(nil))
			}
			if !errors.Is(err, entity.ErrInvalid) {
				t.Errorf("error %q does not wrap ErrInvalid", err)
			}
		})
	}
}

func TestCheckWritable(t *testing.T) {
	tests := []struct {
		name    string
		key     entity.Key
		wantErr bool
	}{
		{"plain", entity.Key{PartitionKey: "tenant", RowKey: "user-1"}, false},
		{"empty", entity.Key{}, false},
		{"non-ASCII", entity.Key{PartitionKey: "Zürich", RowKey: "東京"}, false},
		{"emoji", entity.Key{PartitionKey: "😀", RowKey: "a😀b"}, false},
		{"space and punctuation", entity.Key{PartitionKey: "a b.c-d_e:f@g", RowKey: "'\"<>&%*"}, false},
		{"no-break space", entity.Key{PartitionKey: "a\u00a0b", RowKey: "r"}, false},
		{"ASCII 1 KiB", entity.Key{PartitionKey: strings.Repeat("a", 512), RowKey: "r"}, false},
		{"emoji 1 KiB", entity.Key{PartitionKey: "p", RowKey: strings.Repeat("😀", 256)}, false},
		{"two-byte UTF-8 1 KiB", entity.Key{PartitionKey: strings.Repeat("é", 512), RowKey: "r"}, false},
		{"slash", entity.Key{PartitionKey: "a/b", RowKey: "r"}, true},
		{"backslash", entity.Key{PartitionKey: `a\b`, RowKey: "r"}, true},
		{"hash", entity.Key{PartitionKey: "p", RowKey: "a#b"}, true},
		{"question mark", entity.Key{PartitionKey: "p", RowKey: "a?b"}, true},
		{"NUL", entity.Key{PartitionKey: "a\x00b", RowKey: "r"}, true},
		{"tab", entity.Key{PartitionKey: "p", RowKey: "a\tb"}, true},
		{"newline", entity.Key{PartitionKey: "p", RowKey: "a\nb"}, true},
		{"U+001F", entity.Key{PartitionKey: "a\x1fb", RowKey: "r"}, true},
		{"DEL", entity.Key{PartitionKey: "a\x7fb", RowKey: "r"}, true},
		{"U+0080", entity.Key{PartitionKey: "p", RowKey: "a\u0080b"}, true},
		{"U+009F", entity.Key{PartitionKey: "p", RowKey: "a\u009fb"}, true},
		{"ASCII over 1 KiB", entity.Key{PartitionKey: strings.Repeat("a", 513), RowKey: "r"}, true},
		{"emoji over 1 KiB", entity.Key{PartitionKey: "p", RowKey: strings.Repeat("😀", 257)}, true},
		{"two-byte UTF-8 over 1 KiB", entity.Key{PartitionKey: "p", RowKey: strings.Repeat("é", 513)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.key.CheckWritable()
			if tt.wantErr && err == nil {
				t.Errorf("CheckWritable(%v) = nil, expected an error", tt.key)
			}
			if !tt.wantErr && err != nil {
				t.Errorf("CheckWritable(%v) = %v, expected nil", tt.key, err)
			}
		})
	}
}

func TestParseCopiesLine(t *testing.T) {
	line := []byte(`{"PartitionKey":"p","RowKey":"r","V":"value"}`)
	e, err := entity.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	for i := range line {
		line[i] = 'x'
	}
	if got := string(e.AppendLine(nil)); got != `{"PartitionKey":"p","RowKey":"r","V":"value"}` {
		t.Errorf("entity changed with the caller's buffer: %s", got)
	}
}

func TestAppendWireBodyEscapesLineSeparators(t *testing.T) {
	line := "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"V\":\"a\u2028b\u2029c\u20acd\"}"
	e, err := entity.Parse([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	body := string(e.AppendWireBody(nil))
	if want := `"V":"a\u2028b\u2029c` + "\u20ac" + `d"`; !strings.Contains(body, want) {
		t.Errorf("wire body = %s, want it to contain %s", body, want)
	}
	if got := string(e.AppendLine(nil)); got != line {
		t.Errorf("AppendLine = %s, want the line unchanged", got)
	}
	var decoded map[string]string
	if err := json.Unmarshal([]byte(body), &decoded); err != nil {
		t.Fatal(err)
	}
	if decoded["V"] != "a\u2028b\u2029c\u20acd" {
		t.Errorf("wire body decodes to %q", decoded["V"])
	}
}
