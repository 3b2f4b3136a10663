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
