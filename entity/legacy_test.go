package entity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
)

// legacyLine returns a line as the .NET backup tool writes it, with the
// given properties after the keys, the Timestamp and the ETag.
func legacyLine(properties string) string {
	line := `{"PartitionKey":"p","RowKey":"r","Timestamp":"2026-12-04T01:59:58.1234567+00:00","ETag":"W/\"datetime'2026-12-04T01%3A59%3A58.1234567Z'\""`
	if properties != "" {
		line += "," + properties
	}
	return line + "}"
}

func TestParseLegacyInfer(t *testing.T) {
	tests := []struct {
		name      string
		members   string
		wantType  string
		wantValue string
	}{
		{"plain string", `"A":"hello"`, entity.String, `"hello"`},
		{"empty string", `"A":""`, entity.String, `""`},
		{"guid lowercase", `"A":"c9da6455-213d-42c9-9a79-3e9149a57833"`, entity.Guid, `"c9da6455-213d-42c9-9a79-3e9149a57833"`},
		{"guid uppercase", `"A":"C9DA6455-213D-42C9-9A79-3E9149A57833"`, entity.Guid, `"C9DA6455-213D-42C9-9A79-3E9149A57833"`},
		{"guid braces stay string", `"A":"{c9da6455-213d-42c9-9a79-3e9149a57833}"`, entity.String, `"{c9da6455-213d-42c9-9a79-3e9149a57833}"`},
		{"guid no dashes stay string", `"A":"c9da6455213d42c99a793e9149a57833"`, entity.String, `"c9da6455213d42c99a793e9149a57833"`},
		{"guid bad hex stays string", `"A":"g9da6455-213d-42c9-9a79-3e9149a57833"`, entity.String, `"g9da6455-213d-42c9-9a79-3e9149a57833"`},
		{"datetime offset zero", `"A":"2024-05-01T08:30:00+00:00"`, entity.DateTime, `"2024-05-01T08:30:00.0000000Z"`},
		{"datetime offset converted to UTC", `"A":"2024-05-01T10:30:00.5+02:00"`, entity.DateTime, `"2024-05-01T08:30:00.5000000Z"`},
		{"datetime Z 7 digits", `"A":"2013-08-02T17:37:43.0090043Z"`, entity.DateTime, `"2013-08-02T17:37:43.0090043Z"`},
		{"datetime no zone is UTC", `"A":"2024-05-01T08:30:00"`, entity.DateTime, `"2024-05-01T08:30:00.0000000Z"`},
		{"datetime space separator", `"A":"2024-05-01 08:30:00Z"`, entity.DateTime, `"2024-05-01T08:30:00.0000000Z"`},
		{"date only stays string", `"A":"2024-05-01"`, entity.String, `"2024-05-01"`},
		{"datetime 8 digits stays string", `"A":"2013-08-02T17:37:43.00900431Z"`, entity.String, `"2013-08-02T17:37:43.00900431Z"`},
		{"datetime impossible month stays string", `"A":"2024-13-01T08:30:00Z"`, entity.String, `"2024-13-01T08:30:00Z"`},
		{"US date stays string", `"A":"05/01/2024 08:30:00"`, entity.String, `"05/01/2024 08:30:00"`},
		{"digits stay string", `"A":"0123"`, entity.String, `"0123"`},
		{"true string stays string", `"A":"true"`, entity.String, `"true"`},
		{"base64 stays string", `"A":"AAECAw=="`, entity.String, `"AAECAw=="`},
		{"int32", `"A":42`, entity.Int32, `42`},
		{"int32 max", `"A":2147483647`, entity.Int32, `2147483647`},
		{"int32 min", `"A":-2147483648`, entity.Int32, `-2147483648`},
		{"negative zero", `"A":-0`, entity.Int32, `0`},
		{"int64 above int32", `"A":2147483648`, entity.Int64, `"2147483648"`},
		{"int64 below int32", `"A":-2147483649`, entity.Int64, `"-2147483649"`},
		{"int64 exact", `"A":9007199254740993`, entity.Int64, `"9007199254740993"`},
		{"int64 max", `"A":9223372036854775807`, entity.Int64, `"9223372036854775807"`},
		{"beyond int64 is double", `"A":9223372036854775808`, entity.Double, `9223372036854775808`},
		{"whole double is int32", `"A":5`, entity.Int32, `5`},
		{"fraction", `"A":5.25`, entity.Double, `5.25`},
		{"point zero is double", `"A":5.0`, entity.Double, `5.0`},
		{"exponent", `"A":1E+20`, entity.Double, `1E+20`},
		{"true", `"A":true`, entity.Boolean, `true`},
		{"false", `"A":false`, entity.Boolean, `false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := entity.ParseLegacy([]byte(legacyLine(tt.members)), entity.LegacyInfer)
			if err != nil {
				t.Fatalf("ParseLegacy: %v", err)
			}
			if len(e.Properties) != 1 {
				t.Fatalf("got %d properties, want 1: %+v", len(e.Properties), e.Properties)
			}
			p := e.Properties[0]
			if p.Type != tt.wantType {
				t.Errorf("type = %s, want %s", p.Type, tt.wantType)
			}
			if string(p.Value) != tt.wantValue {
				t.Errorf("value = %s, want %s", p.Value, tt.wantValue)
			}
		})
	}
}

func TestParseLegacyStringKeepsStrings(t *testing.T) {
	tests := []struct {
		name      string
		members   string
		wantType  string
		wantValue string
	}{
		{"guid", `"A":"c9da6455-213d-42c9-9a79-3e9149a57833"`, entity.String, `"c9da6455-213d-42c9-9a79-3e9149a57833"`},
		{"datetime", `"A":"2024-05-01T08:30:00+00:00"`, entity.String, `"2024-05-01T08:30:00+00:00"`},
		{"int32", `"A":42`, entity.Int32, `42`},
		{"int64", `"A":2147483648`, entity.Int64, `"2147483648"`},
		{"double", `"A":0.5`, entity.Double, `0.5`},
		{"boolean", `"A":true`, entity.Boolean, `true`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := entity.ParseLegacy([]byte(legacyLine(tt.members)), entity.LegacyString)
			if err != nil {
				t.Fatalf("ParseLegacy: %v", err)
			}
			p := e.Properties[0]
			if p.Type != tt.wantType {
				t.Errorf("type = %s, want %s", p.Type, tt.wantType)
			}
			if string(p.Value) != tt.wantValue {
				t.Errorf("value = %s, want %s", p.Value, tt.wantValue)
			}
		})
	}
}

func TestParseLegacyKeysTimestampAndETag(t *testing.T) {
	line := `{"PartitionKey":"user\u00e9","RowKey":"","Timestamp":"2026-12-04T03:59:58.1234567+02:00","ETag":"W/\"x\"","odata.etag":"W/\"x\"","Name":"Zoe","Gone":null,"Age":30}`
	e, err := entity.ParseLegacy([]byte(line), entity.LegacyInfer)
	if err != nil {
		t.Fatalf("ParseLegacy: %v", err)
	}
	if e.PartitionKey != "useré" {
		t.Errorf("PartitionKey = %q, want %q", e.PartitionKey, "useré")
	}
	if e.RowKey != "" {
		t.Errorf("RowKey = %q, want empty", e.RowKey)
	}
	if got, want := string(e.Timestamp), `"2026-12-04T01:59:58.1234567Z"`; got != want {
		t.Errorf("Timestamp = %s, want %s", got, want)
	}
	var names []string
	for _, p := range e.Properties {
		names = append(names, p.Name)
	}
	if got, want := strings.Join(names, ","), "Name,Age"; got != want {
		t.Errorf("properties = %s, want %s: ETag, odata.etag and the null are dropped", got, want)
	}

	// The converted entity must be a valid line of the typed format, so
	// the restore path reads it like any other.
	typed := e.AppendLine(nil)
	back, err := entity.Parse(typed)
	if err != nil {
		t.Fatalf("Parse of the converted line %s: %v", typed, err)
	}
	if len(back.Properties) != 2 {
		t.Errorf("converted line has %d properties, want 2: %s", len(back.Properties), typed)
	}
}

func TestParseLegacyWithoutTimestamp(t *testing.T) {
	e, err := entity.ParseLegacy([]byte(`{"PartitionKey":"p","RowKey":"r","A":1}`), entity.LegacyInfer)
	if err != nil {
		t.Fatalf("ParseLegacy: %v", err)
	}
	if e.Timestamp != nil {
		t.Errorf("Timestamp = %s, want none", e.Timestamp)
	}
}

func TestParseLegacyConvertedLinesParse(t *testing.T) {
	members := []string{
		`"A":"c9da6455-213d-42c9-9a79-3e9149a57833"`,
		`"A":"2024-05-01T10:30:00.1234567+02:00"`,
		`"A":9223372036854775807`,
		`"A":-2147483649`,
		`"A":1.5e300`,
		`"A":123456789012345678901234567890`,
	}
	for _, m := range members {
		for _, types := range []entity.LegacyTypes{entity.LegacyInfer, entity.LegacyString} {
			e, err := entity.ParseLegacy([]byte(legacyLine(m)), types)
			if err != nil {
				t.Fatalf("ParseLegacy(%s, %s): %v", m, types, err)
			}
			if _, err := entity.Parse(e.AppendLine(nil)); err != nil {
				t.Errorf("converted line of %s with %s does not parse: %v", m, types, err)
			}
		}
	}
}

func TestParseLegacyRejects(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string
	}{
		{"not an object", `[1,2]`, "not a JSON object"},
		{"truncated", `{"PartitionKey":"p","RowKey":"r","A":`, "malformed JSON"},
		{"missing PartitionKey", `{"RowKey":"r"}`, "missing PartitionKey"},
		{"missing RowKey", `{"PartitionKey":"p"}`, "missing RowKey"},
		{"numeric key", `{"PartitionKey":1,"RowKey":"r"}`, "PartitionKey is a number"},
		{"null key", `{"PartitionKey":null,"RowKey":"r"}`, "PartitionKey is null"},
		{"property twice", legacyLine(`"A":1,"A":2`), `property "A" appears twice`},
		{"object value", legacyLine(`"A":{"b":1}`), "is an object"},
		{"array value", legacyLine(`"A":[1]`), "is an array"},
		{"double out of range", legacyLine(`"A":1e400`), "out of the range of a double"},
		{"annotation", legacyLine(`"A@odata.type":"Edm.Int64","A":"1"`), "carry no type annotations"},
		{"typed marker", legacyLine(`"@v":1,"A":"1"`), "typed .NET backup format"},
		{"timestamp not a date", `{"PartitionKey":"p","RowKey":"r","Timestamp":"yesterday"}`, `"yesterday" is not an ISO 8601 date-time`},
		{"timestamp a number", `{"PartitionKey":"p","RowKey":"r","Timestamp":5}`, "expected a date-time string"},
		{"invalid UTF-8", "{\"PartitionKey\":\"\xff\",\"RowKey\":\"r\"}", "not valid UTF-8"},
		{"lone surrogate", legacyLine(`"A":"\ud800"`), "lone high surrogate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := entity.ParseLegacy([]byte(tt.line), entity.LegacyInfer)
			if err == nil {
				t.Fatalf("ParseLegacy(%s) succeeded, want an error containing %q", tt.line, tt.want)
			}
			if !errors.Is(err, entity.ErrInvalid) {
				t.Errorf("error %v does not wrap ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseLegacyTypes(t *testing.T) {
	for in, want := range map[string]entity.LegacyTypes{"": entity.LegacyInfer, "infer": entity.LegacyInfer, "STRING": entity.LegacyString, " string ": entity.LegacyString} {
		got, err := entity.ParseLegacyTypes(in)
		if err != nil || got != want {
			t.Errorf("ParseLegacyTypes(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := entity.ParseLegacyTypes("guess"); err == nil || !strings.Contains(err.Error(), `"guess"`) {
		t.Errorf("ParseLegacyTypes(guess) error = %v, want one naming the value", err)
	}
}
