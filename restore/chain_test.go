package restore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/restore"
	"github.com/authagonal/authagonal-tables/tables"
)

// history drives a source account through a scripted series of changes
// and backups, and keeps the state of its tables, as read on the wire, at
// each backup.
type history struct {
	t      *testing.T
	srv    *azurite.Server
	svc    *tables.Service
	output string
	tables []string
	gzip   bool
	// states maps a backup id to the tables as they were when it finished.
	states map[string]map[string]map[string]map[string]string
}

func newHistory(t *testing.T, names ...string) *history {
	srv := azurite.Shared(t)
	svc, err := srv.Service()
	if err != nil {
		t.Fatal(err)
	}
	h := &history{t: t, srv: srv, svc: svc, output: t.TempDir(), tables: names, states: map[string]map[string]map[string]map[string]string{}}
	for _, name := range names {
		if err := svc.CreateTable(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// upsert writes entity lines to table.
func (h *history) upsert(table string, lines ...string) {
	h.t.Helper()
	for _, line := range lines {
		e, err := entity.Parse([]byte(line))
		if err != nil {
			h.t.Fatalf("line %s: %v", line, err)
		}
		h.submit(table, tables.Operation{Action: tables.Upsert, Entity: e})
	}
}

// remove deletes the entities with the given "pk/rk" keys from table.
func (h *history) remove(table string, keys ...string) {
	h.t.Helper()
	for _, k := range keys {
		pk, rk, _ := strings.Cut(k, "/")
		h.submit(table, tables.Operation{Action: tables.Delete, Entity: &entity.Entity{PartitionKey: pk, RowKey: rk}})
	}
}

func (h *history) submit(table string, op tables.Operation) {
	h.t.Helper()
	b := tables.NewBatch(table)
	b.Add(h.svc.Account().Endpoint, op)
	if err := h.svc.SubmitBatch(context.Background(), b); err != nil {
		h.t.Fatalf("%s %s: %v", table, op.Entity.Key(), err)
	}
}

// backup takes a backup of the history's tables and records their state.
// The overlap is 1 ns, so that an incremental holds little more than the
// changes since the last backup; the 1-second resolution of the service's
// Date header still makes it overlap by up to a second.
func (h *history) backup(incremental bool) string {
	h.t.Helper()
	name := codec.NameJSONL
	if h.gzip {
		name = codec.NameJSONLGzip
	}
	c, _ := codec.ByName(name)
	res, err := backup.Run(context.Background(), backup.Options{
		Service: h.svc, Output: h.output, Tables: h.tables, Codec: c,
		Incremental: incremental, Overlap: time.Nanosecond,
		Stdout: io.Discard, Log: zerolog.Nop(),
	})
	if err != nil {
		h.t.Fatalf("backup (incremental %v): %v", incremental, err)
	}
	state := map[string]map[string]map[string]string{}
	for _, table := range h.tables {
		state[table] = wireEntities(h.t, h.srv, table)
	}
	h.states[res.Manifest.BackupID] = state
	return res.Manifest.BackupID
}

// checkRestore restores the backup id with its chain into an empty
// account and compares every table, entity, property and type with the
// source as it was when that backup finished.
func (h *history) checkRestore(id string, opts restore.Options) {
	h.t.Helper()
	target := freshServer(h.t)
	opts.Input = h.output
	if opts.At.IsZero() {
		opts.Backup = id
	}
	if _, logs, err := runRestore(h.t, connect(h.t, target, tables.Options{}), opts); err != nil {
		h.t.Fatalf("restore %s: %v\nlogs:\n%s", id, err, logs)
	}
	for _, table := range h.tables {
		h.t.Run(id+"/"+table, func(t *testing.T) {
			compareWire(t, h.states[id][table], wireEntities(t, target, table))
		})
	}
}

func readManifest(t *testing.T, dir string) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestChainRestoresEveryPoint(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			users, grants := uniqueName("ChainUsers"), uniqueName("ChainGrants")
			h := newHistory(t, users, grants)
			h.gzip = gz
			h.upsert(users,
				`{"PartitionKey":"u","RowKey":"alice","Email":"alice@example.com","Logins":3,"Seen@odata.type":"Edm.DateTime","Seen":"2026-01-02T03:04:05.1234567Z"}`,
				`{"PartitionKey":"u","RowKey":"bob","Email":"bob@example.com","Score@odata.type":"Edm.Double","Score":5.0}`,
				`{"PartitionKey":"u","RowKey":"carol","Id@odata.type":"Edm.Guid","Id":"0b7e2c1a-8f3d-4d55-9a1e-6c2f4b8d9e10"}`,
				`{"PartitionKey":"v","RowKey":"dave","Big@odata.type":"Edm.Int64","Big":"9223372036854775807","Raw@odata.type":"Edm.Binary","Raw":"AAEC/w=="}`,
			)
			h.upsert(grants,
				`{"PartitionKey":"g","RowKey":"1","Active":true}`,
				`{"PartitionKey":"g","RowKey":"2","Active":true}`,
			)
			full := h.backup(false)

			// Updates, inserts and deletes, including a property whose
			// type changes.
			h.upsert(users,
				`{"PartitionKey":"u","RowKey":"alice","Email":"alice@example.org","Logins@odata.type":"Edm.Int64","Logins":"4"}`,
				`{"PartitionKey":"w","RowKey":"erin","Email":"erin@example.com"}`,
			)
			h.remove(users, "u/bob")
			h.remove(grants, "g/1")
			h.upsert(grants, `{"PartitionKey":"g","RowKey":"3","Active":false}`)
			incr1 := h.backup(true)

			// Re-create a deleted key, delete an entity created since the
			// full backup, and create and delete one between backups.
			h.upsert(users, `{"PartitionKey":"u","RowKey":"bob","Email":"bob@new.example.com"}`)
			h.remove(users, "w/erin")
			h.upsert(users, `{"PartitionKey":"x","RowKey":"ghost"}`)
			h.remove(users, "x/ghost")
			h.remove(grants, "g/3")
			incr2 := h.backup(true)

			// --at counts to the second, so the next backup starts in a
			// later second than this one.
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))

			// Delete the re-created key again: it must end deleted.
			h.remove(users, "u/bob")
			incr3 := h.backup(true)

			for _, id := range []string{incr1, incr2, incr3} {
				if !strings.HasSuffix(id, manifest.IncrementalSuffix) {
					t.Errorf("incremental id %q lacks %q", id, manifest.IncrementalSuffix)
				}
			}
			m1 := readManifest(t, filepath.Join(h.output, incr1))
			if m1.Mode != manifest.ModeIncremental || m1.ParentBackupID != full {
				t.Errorf("incremental 1: Mode %q, ParentBackupId %q; want incremental after %s", m1.Mode, m1.ParentBackupID, full)
			}
			if u := m1.Tables[users]; u.DeletedCount != 1 || u.Watermark == nil || u.BaseBackupID != full {
				t.Errorf("incremental 1, %s: DeletedCount %d, Watermark %v, BaseBackupId %q; want 1 delete after %s", users, u.DeletedCount, u.Watermark, u.BaseBackupID, full)
			}
			m3 := readManifest(t, filepath.Join(h.output, incr3))
			if u := m3.Tables[users]; u.DeletedCount != 1 {
				t.Errorf("incremental 3, %s: DeletedCount %d, want 1 (u/bob)", users, u.DeletedCount)
			}

			for _, id := range []string{full, incr1, incr2, incr3} {
				h.checkRestore(id, restore.Options{})
			}
			// With many batches in flight, each backup's lines still land
			// after the earlier backup's: the newest version of a key wins.
			h.checkRestore(incr3, restore.Options{Parallel: 32})
			// --at picks the newest backup at or before the time.
			at := readManifest(t, filepath.Join(h.output, incr2)).BackupTimestamp.Truncate(time.Second)
			h.checkRestore(incr2, restore.Options{At: at})
		})
	}
}

func TestChainRestoreCleanEmptiesOnce(t *testing.T) {
	users := uniqueName("CleanChain")
	h := newHistory(t, users)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"1"}`, `{"PartitionKey":"p","RowKey":"2"}`)
	h.backup(false)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"3"}`)
	h.remove(users, "p/1")
	incr := h.backup(true)

	// The target holds an entity that no backup has; clean removes it,
	// once, before the full backup is written.
	target := freshServer(t)
	tsvc := connect(t, target, tables.Options{})
	if err := tsvc.CreateTable(context.Background(), users); err != nil {
		t.Fatal(err)
	}
	b := tables.NewBatch(users)
	b.Add(tsvc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: &entity.Entity{PartitionKey: "stale", RowKey: "x"}})
	if err := tsvc.SubmitBatch(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	res, logs, err := runRestore(t, tsvc, restore.Options{Input: h.output, Mode: restore.Clean})
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, logs)
	}
	compareWire(t, h.states[incr][users], wireEntities(t, target, users))
	if got := res.Tables[0].Deleted; got != 2 {
		t.Errorf("Deleted = %d, want 2 (the stale entity, then p/1)", got)
	}
}

func TestSingleIncrementalRestore(t *testing.T) {
	users := uniqueName("Single")
	h := newHistory(t, users)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"1","V":1}`, `{"PartitionKey":"p","RowKey":"2","V":2}`)
	full := h.backup(false)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"3","V":3}`)
	h.remove(users, "p/1")
	incr := h.backup(true)

	// Applied alone on top of the full backup, the increment gives the
	// state at the incremental.
	target := freshServer(t)
	tsvc := connect(t, target, tables.Options{})
	if _, logs, err := runRestore(t, tsvc, restore.Options{Input: filepath.Join(h.output, full)}); err != nil {
		t.Fatalf("restore full: %v\n%s", err, logs)
	}
	_, logs, err := runRestore(t, tsvc, restore.Options{Input: filepath.Join(h.output, incr)})
	if err != nil {
		t.Fatalf("restore incremental: %v\n%s", err, logs)
	}
	if !strings.Contains(logs, "on its own") {
		t.Errorf("no warning that the increment is applied on its own:\n%s", logs)
	}
	compareWire(t, h.states[incr][users], wireEntities(t, target, users))

	// Into an empty account the recorded delete finds nothing to delete,
	// which is what it wants: counted as absent, not failed.
	empty := freshServer(t)
	res, logs, err := runRestore(t, connect(t, empty, tables.Options{}), restore.Options{Input: filepath.Join(h.output, incr)})
	if err != nil {
		t.Fatalf("restore incremental into an empty account: %v\n%s", err, logs)
	}
	if r := res.Tables[0]; r.Absent != 1 || r.Deleted != 0 || r.Failed != 0 {
		t.Errorf("Absent %d, Deleted %d, Failed %d; want the one delete absent", r.Absent, r.Deleted, r.Failed)
	}

	// Clean would delete every entity the increment does not hold.
	_, _, err = runRestore(t, tsvc, restore.Options{Input: filepath.Join(h.output, incr), Mode: restore.Clean})
	if err == nil || !strings.Contains(err.Error(), "clean") {
		t.Errorf("clean restore of one incremental folder: err = %v, want a rejection", err)
	}
	compareWire(t, h.states[incr][users], wireEntities(t, target, users))
}

// TestChainConcurrentWrites writes, updates and deletes entities from
// another goroutine while the full backup runs, then takes an incremental
// after the writes stop. The chain must restore the final state exactly:
// every write the full backup missed is in the incremental, and every
// delete it missed is recorded.
func TestChainConcurrentWrites(t *testing.T) {
	name := uniqueName("Busy")
	h := newHistory(t, name)
	const initial = 3000
	var lines []string
	for i := range initial {
		lines = append(lines, fmt.Sprintf(`{"PartitionKey":"p%02d","RowKey":"%05d","V":%d}`, i%20, i, i))
	}
	seedBatches(t, h.svc, name, lines)

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var rounds atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ctx.Err() == nil; i++ {
			// Alternate across partitions, so that writes land both ahead
			// of and behind the scan.
			pk := fmt.Sprintf("p%02d", (i*7)%20)
			h.upsert(name, fmt.Sprintf(`{"PartitionKey":"%s","RowKey":"new%05d","W":%d}`, pk, i, i))
			h.upsert(name, fmt.Sprintf(`{"PartitionKey":"p%02d","RowKey":"%05d","V":-1}`, (i*3)%20, (i*3)%initial))
			h.remove(name, fmt.Sprintf("p%02d/%05d", (i*11+5)%20, (i*11+5)%initial))
			rounds.Add(1)
		}
	}()
	// Let the writer run before, during and after the full backup. Waiting
	// for rounds rather than for time keeps the test meaningful on a
	// loaded machine.
	waitRounds := func(n int64) {
		target := rounds.Load() + n
		for rounds.Load() < target {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitRounds(5)
	before := rounds.Load()
	h.backup(false)
	during := rounds.Load() - before
	waitRounds(5)
	stop()
	wg.Wait()
	if during < 1 {
		t.Fatalf("the writer made no change while the full backup ran; the test proves nothing")
	}
	t.Logf("%d rounds of changes, %d of them during the full backup", rounds.Load(), during)
	incr := h.backup(true)
	h.checkRestore(incr, restore.Options{})
}

// seedBatches writes entity lines in batches of up to 100 per partition.
func seedBatches(t *testing.T, svc *tables.Service, table string, lines []string) {
	t.Helper()
	byPartition := map[string][]*entity.Entity{}
	for _, line := range lines {
		e, err := entity.Parse([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		byPartition[e.PartitionKey] = append(byPartition[e.PartitionKey], e)
	}
	for _, list := range byPartition {
		for len(list) > 0 {
			n := min(len(list), tables.MaxBatchOperations)
			b := tables.NewBatch(table)
			for _, e := range list[:n] {
				b.Add(svc.Account().Endpoint, tables.Operation{Action: tables.Upsert, Entity: e})
			}
			if err := svc.SubmitBatch(context.Background(), b); err != nil {
				t.Fatal(err)
			}
			list = list[n:]
		}
	}
}

func TestChainRejectsMissingParent(t *testing.T) {
	users := uniqueName("Broken")
	h := newHistory(t, users)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"1"}`)
	h.backup(false)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"2"}`)
	incr1 := h.backup(true)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"3"}`)
	h.backup(true)
	if err := os.RemoveAll(filepath.Join(h.output, incr1)); err != nil {
		t.Fatal(err)
	}

	target := freshServer(t)
	tsvc := connect(t, target, tables.Options{})
	_, _, err := runRestore(t, tsvc, restore.Options{Input: h.output})
	var verr *manifest.VerificationError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), incr1) {
		t.Fatalf("restore with a missing parent: err = %v, want a verification error naming %s", err, incr1)
	}
	if names, _ := tsvc.ListTables(context.Background()); len(names) != 0 {
		t.Errorf("restore of a broken chain created tables: %v", names)
	}
}

func TestChainRejectsTamperedIncrement(t *testing.T) {
	users := uniqueName("Tamper")
	h := newHistory(t, users)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"1"}`)
	h.backup(false)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"2"}`)
	h.remove(users, "p/1")
	incr := h.backup(true)
	h.upsert(users, `{"PartitionKey":"p","RowKey":"3"}`)
	h.backup(true)

	// Damage the deletes of the middle backup: the restore must stop
	// before the first write, although the full backup is fine.
	path := filepath.Join(h.output, incr, users+".deleted.jsonl")
	if err := os.WriteFile(path, []byte(`{"PartitionKey":"p","RowKey":"2"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	target := freshServer(t)
	tsvc := connect(t, target, tables.Options{})
	_, _, err := runRestore(t, tsvc, restore.Options{Input: h.output})
	if err == nil || !strings.Contains(err.Error(), incr+"/"+users+".deleted.jsonl") {
		t.Fatalf("restore through a tampered increment: err = %v, want a problem naming the file", err)
	}
	if names, _ := tsvc.ListTables(context.Background()); len(names) != 0 {
		t.Errorf("restore of a tampered chain created tables: %v", names)
	}
}
