package entity_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
)

// FuzzParse checks that Parse never panics and that every line it accepts
// survives AppendLine: the written line parses to an equal entity and is
// itself written back unchanged.
func FuzzParse(f *testing.F) {
	for _, line := range canonicalLines {
		f.Add([]byte(line))
	}
	seeds := []string{
		``,
		`{}`,
		`[]`,
		`{"PartitionKey":"p","RowKey":"r","A":null}`,
		`{"PartitionKey":"p","RowKey":"r","A":{"B":[1]}}`,
		`{"PartitionKey":"p","RowKey":"r","A":"\ud800"}`,
		`{"PartitionKey":"p","RowKey":"r","A":"\\\ud83d\ude00"}`,
		`{"PartitionKey":"p","RowKey":"r","A@odata.type":"Edm.Decimal","A":"1"}`,
		`{"PartitionKey":"p","RowKey":"r","A@odata.type":"Edm.Int64","A":"-9223372036854775808"}`,
		`{"PartitionKey":"p","RowKey":"r","A@odata.type":"Edm.Double","A":"-Infinity"}`,
		`{"PartitionKey":"p","RowKey":"r","odata.etag":"W/\"x\"","Timestamp":"2024-01-02T03:04:05Z"}`,
		`{ "RowKey" : "r" , "PartitionKey" : "p" , "A" : 1 }` + "\n",
		"{\"PartitionKey\":\"\xff\",\"RowKey\":\"r\"}",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := entity.Parse(line)
		if err != nil {
			return
		}

		written := e.AppendLine(nil)
		again, err := entity.Parse(written)
		if err != nil {
			t.Fatalf("Parse(%q) succeeded, but its AppendLine output %q fails: %v", line, written, err)
		}
		if !reflect.DeepEqual(e, again) {
			t.Fatalf("entity changed through AppendLine:\nfirst  %+v\nsecond %+v", e, again)
		}
		if rewritten := again.AppendLine(nil); !bytes.Equal(rewritten, written) {
			t.Fatalf("AppendLine is not stable:\nfirst  %s\nsecond %s", written, rewritten)
		}
	})
}

// FuzzParseLegacy checks that ParseLegacy never panics and that every line
// it accepts converts to a valid line of the typed format, in both type
// modes, so that restore can write it through the usual path.
func FuzzParseLegacy(f *testing.F) {
	seeds := []string{
		``,
		`{}`,
		`{"PartitionKey":"p","RowKey":"r","Timestamp":"2026-12-04T01:59:58.1234567+00:00","ETag":"W/\"x\"","A":"c9da6455-213d-42c9-9a79-3e9149a57833"}`,
		`{"PartitionKey":"p","RowKey":"r","A":"2024-05-01T10:30:00.5+02:00","B":2147483648,"C":5,"D":5.5,"E":true,"F":null}`,
		`{"PartitionKey":"p","RowKey":"r","A":123456789012345678901234567890}`,
		`{"PartitionKey":"p","RowKey":"r","A":"2024-05-01 08:30:00"}`,
		`{"PartitionKey":"p","RowKey":"r","A@odata.type":"Edm.Int64","A":"1"}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}

	f.Fuzz(func(t *testing.T, line []byte) {
		for _, types := range []entity.LegacyTypes{entity.LegacyInfer, entity.LegacyString} {
			e, err := entity.ParseLegacy(line, types)
			if err != nil {
				continue
			}
			written := e.AppendLine(nil)
			if _, err := entity.Parse(written); err != nil {
				t.Fatalf("ParseLegacy(%q, %s) succeeded, but its converted line %q fails: %v", line, types, written, err)
			}
		}
	})
}
