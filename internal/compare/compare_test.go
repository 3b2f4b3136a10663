package compare

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/authagonal/authagonal-tables/entity"
)

func parse(t *testing.T, lines ...string) []*entity.Entity {
	t.Helper()
	var out []*entity.Entity
	for _, line := range lines {
		e, err := entity.Parse([]byte(line))
		if err != nil {
			t.Fatalf("parse %s: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func TestEntitiesIdentical(t *testing.T) {
	a := parse(t,
		`{"PartitionKey":"p","RowKey":"1","Name":"Zoë","Age":41,"Big@odata.type":"Edm.Int64","Big":"9007199254740993"}`,
		`{"PartitionKey":"p","RowKey":"2","Ratio@odata.type":"Edm.Double","Ratio":5.0}`,
	)
	// The same entities in another order, with properties in another order
	// and a Timestamp, which the comparison ignores.
	b := parse(t,
		`{"PartitionKey":"p","RowKey":"2","Timestamp@odata.type":"Edm.DateTime","Timestamp":"2026-03-29T12:00:00.0000000Z","Ratio@odata.type":"Edm.Double","Ratio":5.0}`,
		`{"PartitionKey":"p","RowKey":"1","Big@odata.type":"Edm.Int64","Big":"9007199254740993","Age":41,"Name":"Zoë"}`,
	)

	r := Entities("People", a, b)
	if !r.Identical() {
		t.Errorf("report lists differences: %v", r.Differences)
	}
	if r.EntitiesA != 2 || r.EntitiesB != 2 {
		t.Errorf("EntitiesA, EntitiesB = %d, %d, expected 2, 2", r.EntitiesA, r.EntitiesB)
	}
}

func TestEntitiesPlantedDifferences(t *testing.T) {
	a := parse(t,
		`{"PartitionKey":"p","RowKey":"type","Count":5}`,
		`{"PartitionKey":"p","RowKey":"value","Ratio@odata.type":"Edm.Double","Ratio":5.0}`,
		`{"PartitionKey":"p","RowKey":"missing","Name":"x","Email":"x@example.com"}`,
		`{"PartitionKey":"p","RowKey":"extra","Name":"y"}`,
		`{"PartitionKey":"p","RowKey":"only-a"}`,
	)
	b := parse(t,
		`{"PartitionKey":"p","RowKey":"type","Count@odata.type":"Edm.Int64","Count":"5"}`,
		`{"PartitionKey":"p","RowKey":"value","Ratio@odata.type":"Edm.Double","Ratio":5}`,
		`{"PartitionKey":"p","RowKey":"missing","Name":"x"}`,
		`{"PartitionKey":"p","RowKey":"extra","Name":"y","Added":true}`,
		`{"PartitionKey":"p","RowKey":"only-b"}`,
	)

	r := Entities("Planted", a, b)

	want := []struct {
		kind     Kind
		rowKey   string
		property string
	}{
		{TypeDiffers, "type", "Count"},
		{ValueDiffers, "value", "Ratio"},
		{PropertyOnlyInA, "missing", "Email"},
		{PropertyOnlyInB, "extra", "Added"},
		{EntityOnlyInB, "only-b", ""},
		{EntityOnlyInA, "only-a", ""},
	}
	if r.DifferenceCount != len(want) {
		t.Errorf("DifferenceCount = %d, expected %d: %v", r.DifferenceCount, len(want), r.Differences)
	}
	for i, w := range want {
		if i >= len(r.Differences) {
			t.Errorf("difference %d missing, expected %v of RowKey %q", i, w.kind, w.rowKey)
			continue
		}
		d := r.Differences[i]
		if d.Kind != w.kind {
			t.Errorf("difference %d: Kind = %v, expected %v (%s)", i, d.Kind, w.kind, d)
		}
		if d.Key.RowKey != w.rowKey {
			t.Errorf("difference %d: RowKey = %q, expected %q (%s)", i, d.Key.RowKey, w.rowKey, d)
		}
		if d.Property != w.property {
			t.Errorf("difference %d: Property = %q, expected %q (%s)", i, d.Property, w.property, d)
		}
		if d.Table != "Planted" {
			t.Errorf("difference %d: Table = %q, expected \"Planted\"", i, d.Table)
		}
	}
}

func TestDifferenceString(t *testing.T) {
	a := parse(t, `{"PartitionKey":"p","RowKey":"r","Count":5}`)
	b := parse(t, `{"PartitionKey":"p","RowKey":"r","Count@odata.type":"Edm.Int64","Count":"5"}`)

	r := Entities("Users", a, b)
	if len(r.Differences) != 1 {
		t.Fatalf("%d differences, expected 1: %v", len(r.Differences), r.Differences)
	}
	want := `table "Users": PartitionKey "p", RowKey "r": property "Count": type Edm.Int32 in A, Edm.Int64 in B (values 5 and "5")`
	if got := r.Differences[0].String(); got != want {
		t.Errorf("String()\n got %s\nwant %s", got, want)
	}

	missing := Difference{Table: "Users", Kind: TableMissing, Detail: "table not found in B"}
	if got, want := missing.String(), `table "Users": table not found in B`; got != want {
		t.Errorf("String() = %s, want %s", got, want)
	}
}

func TestEntitiesListsAtMostMaxListed(t *testing.T) {
	var a []*entity.Entity
	for i := range MaxListed + 10 {
		a = append(a, parse(t, fmt.Sprintf(`{"PartitionKey":"p","RowKey":"%03d"}`, i))...)
	}

	r := Entities("Many", a, nil)
	if r.DifferenceCount != MaxListed+10 {
		t.Errorf("DifferenceCount = %d, expected %d", r.DifferenceCount, MaxListed+10)
	}
	if len(r.Differences) != MaxListed {
		t.Errorf("%d differences listed, expected MaxListed = %d", len(r.Differences), MaxListed)
	}
	if first := r.Differences[0].Key.RowKey; first != "000" {
		t.Errorf("first difference has RowKey %q, expected the smallest key \"000\"", first)
	}
}

func TestPreviewKeepsUTF8Valid(t *testing.T) {
	value := []byte(`"` + strings.Repeat("ø", 100) + `"`)
	got := preview(value)
	if !utf8.ValidString(got) {
		t.Errorf("preview cut a character: %q", got)
	}
	if !strings.HasSuffix(got, fmt.Sprintf("(%d bytes)", len(value))) {
		t.Errorf("preview %q does not give the full size", got)
	}
}

func TestReportTotals(t *testing.T) {
	r := Report{Tables: []TableReport{
		Entities("Same", parse(t, `{"PartitionKey":"p","RowKey":"1"}`), parse(t, `{"PartitionKey":"p","RowKey":"1"}`)),
		Entities("Differs", parse(t, `{"PartitionKey":"p","RowKey":"1"}`, `{"PartitionKey":"p","RowKey":"2"}`), nil),
	}}

	if r.Identical() {
		t.Error("Identical() is true for a report with differences")
	}
	if a, b := r.Entities(); a != 3 || b != 1 {
		t.Errorf("Entities() = %d, %d, expected 3, 1", a, b)
	}
	if n := r.DifferenceCount(); n != 2 {
		t.Errorf("DifferenceCount() = %d, expected 2", n)
	}
	if n := len(r.Differences()); n != 2 {
		t.Errorf("Differences() lists %d, expected 2", n)
	}
}
