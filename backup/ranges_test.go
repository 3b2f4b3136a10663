package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// rangeKeys are PartitionKeys below, inside and above the printable range,
// so that every key range of a split scan holds some.
var rangeKeys = []string{
	// Control characters, U+0000 to U+001F and U+007F to U+009F, are
	// missing: Azure rejects them in keys, and so does Azurite 3.35.0 in
	// a batch.
	"",       // the empty key
	" space", // below "0"
	"!bang",
	"0zero", "1one", "3three", "5five", "7seven", "9nine",
	"Alpha", "Gamma", "November", "Zulu",
	"alpha", "bravo", "delta", "foxtrot", "golf", "mike", "tango", "zulu",
	"~tilde",      // above "z", below U+007F
	"\u00a0nbsp",  // the first character after the control block above U+007F
	"éclair",      // non-ASCII
	"日本",          // CJK
	"😀 emoji",     // outside the Basic Multilingual Plane
	"it's quoted", // a quote, doubled in filters
}

func seedRangeTable(t *testing.T, svc *tables.Service, table string, perKey int) int {
	t.Helper()
	ctx := context.Background()
	if err := svc.CreateTable(ctx, table); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, pk := range rangeKeys {
		for start := 0; start < perKey; start += tables.MaxBatchOperations {
			b := tables.NewBatch(table)
			for i := start; i < min(perKey, start+tables.MaxBatchOperations); i++ {
				quoted, _ := json.Marshal(pk)
				e, err := entity.Parse([]byte(fmt.Sprintf(`{"PartitionKey":%s,"RowKey":"r%04d","V":%d}`, quoted, i, i)))
				if err != nil {
					t.Fatal(err)
				}
				b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
				n++
			}
			if err := svc.SubmitBatch(ctx, b); err != nil {
				t.Fatalf("seed %q: %v", pk, err)
			}
		}
	}
	return n
}

// sequentialLines reads the table with one plain scan, in the service's
// order, as backup lines.
func sequentialLines(t *testing.T, svc *tables.Service, table string) []byte {
	t.Helper()
	var buf []byte
	err := svc.Query(context.Background(), table, tables.Query{}, func(p tables.Page) error {
		for _, e := range p.Entities {
			buf = append(e.AppendLine(buf), '\n')
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf
}

func TestRangedBackupMatchesSequentialScan(t *testing.T) {
	svc := service(t)
	big, small := uniqueName("Ranged"), uniqueName("Small")
	total := seedRangeTable(t, svc, big, 60)
	seed(t, svc, small, `{"PartitionKey":"p","RowKey":"1"}`)
	want := sequentialLines(t, svc, big)

	for _, name := range []string{codec.NameJSONL, codec.NameJSONLGzip} {
		t.Run(name, func(t *testing.T) {
			c, _ := codec.ByName(name)
			files := map[int][]byte{}
			for _, parallel := range []int{1, 3, 16} {
				res, _, err := run(t, backup.Options{Tables: []string{big, small}, Codec: c, Parallel: parallel})
				if err != nil {
					t.Fatalf("parallel %d: %v", parallel, err)
				}
				tt := res.Manifest.Tables[big]
				if tt.EntityCount != int64(total) || tt.KeyCount != int64(total) {
					t.Errorf("parallel %d: EntityCount %d, KeyCount %d, want %d", parallel, tt.EntityCount, tt.KeyCount, total)
				}
				data, err := os.ReadFile(filepath.Join(res.Dir, tt.File))
				if err != nil {
					t.Fatal(err)
				}
				files[parallel] = data
				if got := []byte(joinLines(readLines(t, filepath.Join(res.Dir, tt.File)))); !bytes.Equal(got, want) {
					t.Errorf("parallel %d: the lines differ from one sequential scan (%d bytes, want %d)", parallel, len(got), len(want))
				}
				leftovers, _ := filepath.Glob(filepath.Join(res.Dir, ".part-*"))
				if len(leftovers) > 0 {
					t.Errorf("parallel %d: part files left in the backup: %v", parallel, leftovers)
				}
			}
			if !bytes.Equal(files[1], files[3]) || !bytes.Equal(files[1], files[16]) {
				t.Errorf("the file differs between --parallel 1, 3 and 16 (%d, %d, %d bytes)", len(files[1]), len(files[3]), len(files[16]))
			}
		})
	}
}

func joinLines(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestQueryContinuesInsideEmptyPartitionKey pages through a partition
// whose key is the empty string. Azurite 3.35.0 sends a continuation with
// an empty NextPartitionKey there, which must be sent back as it came.
func TestQueryContinuesInsideEmptyPartitionKey(t *testing.T) {
	svc := service(t)
	table := uniqueName("EmptyPk")
	ctx := context.Background()
	if err := svc.CreateTable(ctx, table); err != nil {
		t.Fatal(err)
	}
	for start := 0; start < 1001; start += tables.MaxBatchOperations {
		b := tables.NewBatch(table)
		for i := start; i < min(1001, start+tables.MaxBatchOperations); i++ {
			b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: &entity.Entity{PartitionKey: "", RowKey: fmt.Sprintf("r%04d", i)}})
		}
		if err := svc.SubmitBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	seedOne := tables.NewBatch(table)
	seedOne.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: &entity.Entity{PartitionKey: "b", RowKey: "1"}})
	if err := svc.SubmitBatch(ctx, seedOne); err != nil {
		t.Fatal(err)
	}
	n, err := svc.CountEntities(ctx, table)
	if err != nil || n != 1002 {
		t.Errorf("CountEntities = %d, %v; want 1002", n, err)
	}
}
