package prune_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/prune"
	"github.com/authagonal/authagonal-tables/restore"
	"github.com/authagonal/authagonal-tables/tables"
)

// account is a storage account in a private Azurite whose tables a test
// changes between backups.
type account struct {
	t   *testing.T
	srv *azurite.Server
	svc *tables.Service
}

func startAccount(t *testing.T, names ...string) *account {
	t.Helper()
	srv, err := azurite.Start(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if err := svc.CreateTable(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	return &account{t: t, srv: srv, svc: svc}
}

// apply upserts each "pk/rk=value" and deletes each "-pk/rk" in table.
func (a *account) apply(table string, changes ...string) {
	a.t.Helper()
	for _, c := range changes {
		op := tables.Operation{Action: tables.Upsert}
		if rest, ok := strings.CutPrefix(c, "-"); ok {
			op.Action = tables.Delete
			c = rest
		}
		key, value, _ := strings.Cut(c, "=")
		pk, rk, _ := strings.Cut(key, "/")
		line := fmt.Sprintf(`{"PartitionKey":%q,"RowKey":%q,"Value":%q}`, pk, rk, value)
		e, err := entity.Parse([]byte(line))
		if err != nil {
			a.t.Fatal(err)
		}
		op.Entity = e
		b := tables.NewBatch(table)
		b.Add(a.svc.Account().Endpoint, op)
		if err := a.svc.SubmitBatch(context.Background(), b); err != nil {
			a.t.Fatalf("%s %s: %v", table, c, err)
		}
	}
}

// state returns every entity of the tables as "table pk/rk" mapped to its
// properties as sent on the wire, without the Timestamp the service sets.
func (a *account) state(names ...string) map[string]string {
	a.t.Helper()
	out := map[string]string{}
	for _, table := range names {
		raw, err := a.srv.RawEntities(context.Background(), table)
		if err != nil {
			a.t.Fatal(err)
		}
		for _, e := range raw {
			var pk, rk string
			_ = json.Unmarshal(e["PartitionKey"], &pk)
			_ = json.Unmarshal(e["RowKey"], &rk)
			var props []string
			for name, value := range e {
				if !strings.HasPrefix(name, "odata.") && !strings.HasPrefix(name, "Timestamp") {
					props = append(props, name+"="+string(value))
				}
			}
			sort.Strings(props)
			out[table+" "+pk+"/"+rk] = strings.Join(props, " ")
		}
	}
	return out
}

// TestPruneRealBackups takes full and incremental backups of a real
// Azurite on three days, prunes them, then verifies the folder, restores
// the chain of every backup left and takes one more incremental.
func TestPruneRealBackups(t *testing.T) {
	names := []string{"Users", "Grants"}
	src := startAccount(t, names...)
	dir := t.TempDir()
	states := map[string]map[string]string{}
	take := func(at string, incremental bool) string {
		t.Helper()
		start, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		res, err := backup.Run(context.Background(), backup.Options{
			Service: src.svc, Output: dir, Tables: names, Incremental: incremental,
			Overlap: time.Nanosecond, Now: func() time.Time { return start },
			Stdout: io.Discard, Log: zerolog.Nop(),
		})
		if err != nil {
			t.Fatalf("backup at %s: %v", at, err)
		}
		states[res.Manifest.BackupID] = src.state(names...)
		return res.Manifest.BackupID
	}

	src.apply("Users", "u/alice=1", "u/bob=1", "u/carol=1")
	src.apply("Grants", "g/1=a", "g/2=a")
	take("2026-12-02T02:00:00Z", false)
	src.apply("Users", "u/alice=2", "-u/bob")
	take("2026-12-02T03:00:00Z", true)
	src.apply("Grants", "-g/1", "g/3=b")
	take("2026-12-02T04:00:00Z", true)
	src.apply("Users", "u/bob=3")
	d2Full := take("2026-12-03T02:00:00Z", false)
	src.apply("Users", "-u/carol", "u/dave=1")
	d2Incr1 := take("2026-12-03T03:00:00Z", true)
	src.apply("Grants", "g/1=c")
	d2Incr2 := take("2026-12-03T04:00:00Z", true)
	src.apply("Users", "u/erin=1")
	d3Full := take("2026-12-04T02:00:00Z", false)
	src.apply("Users", "-u/alice", "u/bob=4")
	src.apply("Grants", "-g/2")
	d3Incr := take("2026-12-04T03:00:00Z", true)

	res, err := prune.Run(context.Background(), prune.Options{Dir: dir, Policy: prune.Policy{Daily: 2}, Grace: prune.DefaultGrace, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}

	left := []string{d2Full, d2Incr1, d2Incr2, d3Full, d3Incr}
	if got := kept(res); !slices.Equal(got, left) {
		t.Fatalf("kept %v, want %v", got, left)
	}
	entries, err := manifest.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(left) {
		t.Errorf("%d entries left in the folder, want %d", len(entries), len(left))
	}

	report, err := manifest.VerifyFolder(context.Background(), dir, manifest.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !report.OK() {
		t.Fatalf("verify of the pruned folder: problems %v, backups %+v", report.Problems, report.Backups)
	}

	target := startAccount(t, names...)
	for _, id := range left {
		_, err := restore.Run(context.Background(), restore.Options{
			Service: target.svc, Input: dir, Backup: id, Mode: restore.Clean, Stdout: io.Discard, Log: zerolog.Nop(),
		})
		if err != nil {
			t.Fatalf("restore %s: %v", id, err)
		}
		if got, want := target.state(names...), states[id]; !maps.Equal(got, want) {
			t.Errorf("restore of %s:\ngot  %v\nwant %v", id, got, want)
		}
	}

	// The next incremental still follows the newest backup.
	src.apply("Users", "u/frank=1")
	next := take("2026-12-04T04:00:00Z", true)
	m, err := manifest.Read(filepath.Join(dir, next))
	if err != nil {
		t.Fatal(err)
	}
	if m.ParentBackupID != d3Incr || m.Tables["Users"].Watermark == nil {
		t.Errorf("next incremental: parent %q, Users watermark %v; want changes after %s", m.ParentBackupID, m.Tables["Users"].Watermark, d3Incr)
	}
	if report, err := manifest.VerifyFolder(context.Background(), dir, manifest.VerifyOptions{}); err != nil || !report.OK() {
		t.Errorf("verify after the next incremental: %v %+v", err, report)
	}
}
