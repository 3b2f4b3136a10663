package compare

import (
	"context"
	"testing"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/sampledata"
	"github.com/authagonal/authagonal-tables/tables"
)

// TestAccountsAzurite runs the Accounts tests against two real Azurite
// servers, A and B.
func TestAccountsAzurite(t *testing.T) {
	a := startService(t)
	b := startService(t)

	t.Run("planted differences", func(t *testing.T) { testPlantedDifferences(t, a, b) })
	t.Run("table missing on both sides", func(t *testing.T) { testMissingOnBothSides(t, a, b) })
}

// testPlantedDifferences compares a table seeded identically on both
// sides, a table with planted differences, and a table that exists only
// in A.
func testPlantedDifferences(t *testing.T, a, b *tables.Service) {
	ctx := context.Background()
	same := `{"PartitionKey":"p","RowKey":"1","Name":"Søren O'Brien","Count":5,"Ratio@odata.type":"Edm.Double","Ratio":5.0,"Big@odata.type":"Edm.Int64","Big":"9223372036854775807"}`
	write(t, a, map[string][]*entity.Entity{
		"Identical": parse(t, same),
		"Planted": parse(t,
			`{"PartitionKey":"p","RowKey":"type","Count":5}`,
			`{"PartitionKey":"p","RowKey":"missing","Name":"x","Email":"x@example.com"}`,
		),
		"OnlyInA": parse(t, same),
	})
	write(t, b, map[string][]*entity.Entity{
		"Identical": parse(t, same),
		"Planted": parse(t,
			`{"PartitionKey":"p","RowKey":"type","Count@odata.type":"Edm.Int64","Count":"5"}`,
			`{"PartitionKey":"p","RowKey":"missing","Name":"x"}`,
			`{"PartitionKey":"p","RowKey":"extra"}`,
		),
	})

	r, err := Accounts(ctx, a, b, []string{"Identical", "Planted", "OnlyInA"})
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	if len(r.Tables) != 3 {
		t.Fatalf("report has %d tables, expected 3", len(r.Tables))
	}

	identical := r.Tables[0]
	if !identical.Identical() {
		t.Errorf("table Identical: %v", identical.Differences)
	}
	if identical.EntitiesA != 1 || identical.EntitiesB != 1 {
		t.Errorf("table Identical: %d and %d entities, expected 1 and 1", identical.EntitiesA, identical.EntitiesB)
	}

	planted := r.Tables[1]
	// The service returns entities in key order, so B's differences come
	// in that order.
	want := []struct {
		kind   Kind
		rowKey string
	}{
		{EntityOnlyInB, "extra"},
		{PropertyOnlyInA, "missing"},
		{TypeDiffers, "type"},
	}
	if len(planted.Differences) != len(want) {
		t.Fatalf("table Planted: %d differences, expected %d: %v", len(planted.Differences), len(want), planted.Differences)
	}
	for i, w := range want {
		d := planted.Differences[i]
		if d.Kind != w.kind || d.Key.RowKey != w.rowKey {
			t.Errorf("table Planted: difference %d is %v of RowKey %q, expected %v of RowKey %q (%s)", i, d.Kind, d.Key.RowKey, w.kind, w.rowKey, d)
		}
	}

	onlyInA := r.Tables[2]
	if onlyInA.DifferenceCount != 1 || onlyInA.Differences[0].Kind != TableMissing {
		t.Errorf("table OnlyInA: expected one TableMissing difference, got %v", onlyInA.Differences)
	}
	if onlyInA.EntitiesA != 1 {
		t.Errorf("table OnlyInA: %d entities in A, expected 1", onlyInA.EntitiesA)
	}

	if r.Identical() {
		t.Error("Report.Identical() is true")
	}
}

func testMissingOnBothSides(t *testing.T, a, b *tables.Service) {
	r, err := Accounts(context.Background(), a, b, []string{"Nowhere"})
	if err != nil {
		t.Fatalf("Accounts: %v", err)
	}
	d := r.Differences()
	if len(d) != 1 || d[0].Kind != TableMissing || d[0].Detail != "table not found in A or B" {
		t.Errorf("expected one TableMissing difference for both sides, got %v", d)
	}
}

func startService(t *testing.T) *tables.Service {
	t.Helper()
	server, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatalf("start Azurite: %v", err)
	}
	t.Cleanup(server.Stop)
	svc, err := server.Service()
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func write(t *testing.T, svc *tables.Service, set map[string][]*entity.Entity) {
	t.Helper()
	if _, err := sampledata.Write(context.Background(), svc, set); err != nil {
		t.Fatalf("write: %v", err)
	}
}
