package prune_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/internal/backuptest"
	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/prune"
)

// The generated histories: a full backup at 02:00 UTC every day and an
// incremental every other hour, up to 2026-12-06 01:00. The long one
// starts on 2026-10-25, so it spans three months and seven ISO weeks;
// 2026-11-29 is the Sunday that ends week 48. The short one starts on
// 2026-11-28.
var (
	historyStart = time.Date(2026, 10, 25, 2, 0, 0, 0, time.UTC)
	historyDays  = 42
	recentStart  = time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)
	recentDays   = 8
	now          = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)
	newest       = "20261206-010000-incr"
)

// history writes the short history into a new folder and returns it.
func history(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	backuptest.WriteAll(t, dir, backuptest.Schedule(recentStart, recentDays, "Users"))
	return dir
}

var shared struct {
	once sync.Once
	dir  string
}

// sharedHistory returns a history that tests must not change. Writing one
// takes about a second, so the tests that only read share it.
func sharedHistory(t *testing.T) string {
	t.Helper()
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "prune-history-")
		if err != nil {
			t.Fatal(err)
		}
		backuptest.WriteAll(t, dir, backuptest.Schedule(historyStart, historyDays, "Users"))
		shared.dir = dir
	})
	if shared.dir == "" {
		t.Fatal("the shared history could not be written")
	}
	return shared.dir
}

func inspect(t *testing.T, dir string, policy prune.Policy) *prune.Result {
	t.Helper()
	res, err := prune.Inspect(dir, policy, prune.DefaultGrace, now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// kept returns the ids of the backups the result keeps, oldest first.
func kept(res *prune.Result) []string {
	var ids []string
	for _, b := range res.Backups {
		if b.Action == prune.Keep {
			ids = append(ids, b.ID)
		}
	}
	return ids
}

func find(t *testing.T, res *prune.Result, id string) *prune.Backup {
	t.Helper()
	for _, b := range res.Backups {
		if b.ID == id {
			return b
		}
	}
	t.Fatalf("backup %s is not in the result", id)
	return nil
}

// chainIDs returns the ids of the backups from the full backup of the day
// of from (02:00) up to and including to, hour by hour.
func chainIDs(from, to time.Time) []string {
	var ids []string
	full := time.Date(from.Year(), from.Month(), from.Day(), 2, 0, 0, 0, time.UTC)
	if from.Hour() < 2 {
		full = full.Add(-24 * time.Hour)
	}
	for t := full; !t.After(to); t = t.Add(time.Hour) {
		ids = append(ids, backuptest.ID(t, !t.Equal(full)))
	}
	return ids
}

func hour(day string, h int) time.Time {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		panic(err)
	}
	return t.Add(time.Duration(h) * time.Hour)
}

func wantReasons(t *testing.T, res *prune.Result, id string, want ...string) {
	t.Helper()
	b := find(t, res, id)
	if b.Action != prune.Keep {
		t.Errorf("%s: action %s, want keep", id, b.Action)
	}
	for _, w := range want {
		if !slices.Contains(b.Reasons, w) {
			t.Errorf("%s: reasons %q, want %q among them", id, b.Reasons, w)
		}
	}
}

func wantKept(t *testing.T, res *prune.Result, want []string) {
	t.Helper()
	got := kept(res)
	sort.Strings(want)
	want = slices.Compact(want)
	if !slices.Equal(got, want) {
		t.Errorf("kept %d backups:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}

func TestKeepLastKeepsChain(t *testing.T) {
	res := inspect(t, sharedHistory(t), prune.Policy{Last: 3})

	wantKept(t, res, chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1)))
	for _, id := range []string{"20261206-010000-incr", "20261206-000000-incr", "20261205-230000-incr"} {
		wantReasons(t, res, id, "last 3")
	}
	wantReasons(t, res, newest, prune.ReasonNewest)
	full := find(t, res, "20261205-020000")
	if len(full.Reasons) != 0 || len(full.NeededBy) != 3 || full.NeededBy[0] != newest {
		t.Errorf("full backup: reasons %q, needed by %q; want none, and the 3 kept ones, newest first", full.Reasons, full.NeededBy)
	}
	if n := len(res.Backups) - len(kept(res)); n != historyDays*24-24 {
		t.Errorf("%d backups removed, want %d", n, historyDays*24-24)
	}
}

func TestKeepHourlyTakesNewestOfHour(t *testing.T) {
	dir := history(t)
	late := backuptest.Spec{ID: "20261206-013000-incr", Time: hour("2026-12-06", 1).Add(30 * time.Minute), Parent: newest, Tables: []string{"Users"}}
	backuptest.Write(t, dir, late)

	res := inspect(t, dir, prune.Policy{Hourly: 5})

	wantReasons(t, res, late.ID, "hourly 2026-12-06 01:00", prune.ReasonNewest)
	wantReasons(t, res, "20261206-000000-incr", "hourly 2026-12-06 00:00")
	wantReasons(t, res, "20261205-210000-incr", "hourly 2026-12-05 21:00")
	if b := find(t, res, newest); len(b.Reasons) != 0 || !slices.Contains(b.NeededBy, late.ID) {
		t.Errorf("%s: reasons %q, needed by %q; want no rule, needed by %s", newest, b.Reasons, b.NeededBy, late.ID)
	}
	if b := find(t, res, "20261205-200000-incr"); len(b.Reasons) != 0 {
		t.Errorf("20261205-200000-incr: reasons %q; the 5 hours end at 21:00", b.Reasons)
	}
	wantKept(t, res, append(chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1)), late.ID))
}

func TestKeepDailyKeepsEachDaysChain(t *testing.T) {
	res := inspect(t, sharedHistory(t), prune.Policy{Daily: 3})

	wantReasons(t, res, newest, "daily 2026-12-06")
	wantReasons(t, res, "20261205-230000-incr", "daily 2026-12-05")
	wantReasons(t, res, "20261204-230000-incr", "daily 2026-12-04")
	var want []string
	want = append(want, chainIDs(hour("2026-12-04", 2), hour("2026-12-04", 23))...)
	want = append(want, chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1))...)
	wantKept(t, res, want)
	// The first hours of 2026-12-05 follow the last backup of 2026-12-04,
	// which no kept backup needs.
	if b := find(t, res, "20261205-000000-incr"); b.Action != prune.Remove {
		t.Errorf("20261205-000000-incr: action %s, want remove", b.Action)
	}
}

func TestKeepWeeklyUsesISOWeeks(t *testing.T) {
	res := inspect(t, sharedHistory(t), prune.Policy{Weekly: 2})

	wantReasons(t, res, newest, "weekly 2026-W49")
	wantReasons(t, res, "20261129-230000-incr", "weekly 2026-W48")
	var want []string
	want = append(want, chainIDs(hour("2026-11-29", 2), hour("2026-11-29", 23))...)
	want = append(want, chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1))...)
	wantKept(t, res, want)
}

func TestKeepMonthly(t *testing.T) {
	res := inspect(t, sharedHistory(t), prune.Policy{Monthly: 5})

	wantReasons(t, res, newest, "monthly 2026-12")
	wantReasons(t, res, "20261130-230000-incr", "monthly 2026-11")
	wantReasons(t, res, "20261031-230000-incr", "monthly 2026-10")
	// Only three months have a backup; the rule takes what there is.
	var want []string
	want = append(want, chainIDs(hour("2026-10-31", 2), hour("2026-10-31", 23))...)
	want = append(want, chainIDs(hour("2026-11-30", 2), hour("2026-11-30", 23))...)
	want = append(want, chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1))...)
	wantKept(t, res, want)
}

func TestRulesKeepTheUnion(t *testing.T) {
	dir := sharedHistory(t)
	policies := []prune.Policy{{Last: 2}, {Hourly: 30}, {Daily: 4}, {Weekly: 3}, {Monthly: 2}}
	var union []string
	for _, p := range policies {
		union = append(union, kept(inspect(t, dir, p))...)
	}

	res := inspect(t, dir, prune.Policy{Last: 2, Hourly: 30, Daily: 4, Weekly: 3, Monthly: 2})

	wantKept(t, res, union)
	wantReasons(t, res, newest, "last 2", "hourly 2026-12-06 01:00", "daily 2026-12-06", "weekly 2026-W49", "monthly 2026-12", prune.ReasonNewest)
}

func TestKeepsBackupATableFollows(t *testing.T) {
	dir := history(t)
	// An incremental whose Grants copy follows a backup outside its chain
	// of parents.
	odd := backuptest.Spec{
		ID: "20261206-020000-incr", Time: hour("2026-12-06", 2), Parent: newest,
		Tables: []string{"Users", "Grants"}, Base: map[string]string{"Grants": "20261130-120000-incr"},
	}
	backuptest.Write(t, dir, odd)

	res := inspect(t, dir, prune.Policy{Last: 1})

	b := find(t, res, "20261130-120000-incr")
	if b.Action != prune.Keep || !slices.Equal(b.NeededBy, []string{odd.ID}) {
		t.Errorf("base of Grants: action %s, needed by %q; want keep, needed by %s", b.Action, b.NeededBy, odd.ID)
	}
	// And what that base needs in turn.
	if b := find(t, res, "20261130-020000"); b.Action != prune.Keep {
		t.Errorf("full backup under the base of Grants: action %s, want keep", b.Action)
	}
	if b := find(t, res, "20261130-130000-incr"); b.Action != prune.Remove {
		t.Errorf("backup after the base of Grants: action %s, want remove", b.Action)
	}
}

func TestKeepsWhatMarksName(t *testing.T) {
	dir := history(t)
	marked := backuptest.Spec{ID: "20261201-120000-incr", Time: hour("2026-12-01", 12)}
	backuptest.WriteMarks(t, dir, map[string]backuptest.Spec{
		"Users":  {ID: newest, Time: hour("2026-12-06", 1)},
		"Grants": marked,
		"Gone":   {ID: "20261001-020000", Time: hour("2026-10-01", 2)},
	})

	res := inspect(t, dir, prune.Policy{Last: 1})

	wantReasons(t, res, marked.ID, "named in .lastbackup")
	wantReasons(t, res, newest, "named in .lastbackup", prune.ReasonNewest)
	wantKept(t, res, append(chainIDs(hour("2026-12-01", 2), hour("2026-12-01", 12)), chainIDs(hour("2026-12-05", 2), hour("2026-12-06", 1))...))
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "20261001-020000") || !strings.Contains(res.Warnings[0], "Gone") {
		t.Errorf("warnings %q, want one about the mark of Gone naming 20261001-020000", res.Warnings)
	}
}

func TestRejectsDamagedMarks(t *testing.T) {
	dir := history(t)
	if err := os.WriteFile(filepath.Join(dir, backup.MarksFile), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := prune.Inspect(dir, prune.Policy{Last: 1}, prune.DefaultGrace, now)
	if err == nil || !strings.Contains(err.Error(), backup.MarksFile) {
		t.Errorf("error %v, want one naming %s", err, backup.MarksFile)
	}
}

// mess adds to dir what prune must not take for a backup, and temporary
// folders old and new, and returns the names of each kind.
func mess(t *testing.T, dir string) map[string][]string {
	t.Helper()
	write := func(path, content string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	age := func(path string, d time.Duration) {
		if err := os.Chtimes(path, now.Add(-d), now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "20261020-020000", manifest.FileName), "{damaged")
	write(filepath.Join(dir, "20261019-020000", manifest.FileName),
		`{"BackupId":"20261019-020000","BackupTimestamp":"2026-10-19T02:00:00+00:00","Mode":"full","Compressed":false,"Tables":{},"TotalEntities":0}`)
	write(filepath.Join(dir, "20261021-020000", "Users.jsonl"), "{}\n")
	write(filepath.Join(dir, "notes.txt"), "keep me")
	write(filepath.Join(dir, "archive", "old.tar"), "keep me")
	write(filepath.Join(dir, ".lastbackup.tmp-123"), "{}")
	for name, ages := range map[string]struct{ folder, file time.Duration }{
		".tmp-20261203-020000-0a1b2c3d4e5f":          {72 * time.Hour, 72 * time.Hour},
		".tmp-20261206-020000-0a1b2c3d4e5f":          {time.Hour, time.Hour},
		".tmp-20261101-020000-removing-0a1b2c3d4e5f": {time.Minute, time.Minute},
		// A backup still writing into a file it created long ago.
		".tmp-20261101-030000-incr-0a1b2c3d4e5f": {72 * time.Hour, time.Hour},
	} {
		file := filepath.Join(dir, name, "Users.jsonl")
		write(file, "{}\n")
		age(file, ages.file)
		age(filepath.Join(dir, name), ages.folder)
	}
	return map[string][]string{
		prune.KindDamaged:    {"20261020-020000"},
		prune.KindLegacy:     {"20261019-020000"},
		prune.KindIncomplete: {"20261021-020000"},
		prune.KindForeign:    {".lastbackup.tmp-123", "archive", "notes.txt"},
		"remove":             {".tmp-20261101-020000-removing-0a1b2c3d4e5f", ".tmp-20261203-020000-0a1b2c3d4e5f"},
		"young":              {".tmp-20261101-030000-incr-0a1b2c3d4e5f", ".tmp-20261206-020000-0a1b2c3d4e5f"},
	}
}

func TestOtherEntriesLeftAlone(t *testing.T) {
	dir := history(t)
	want := mess(t, dir)

	res := inspect(t, dir, prune.Policy{Last: 1})

	got := map[string][]string{}
	for _, o := range res.Others {
		switch {
		case o.Action == prune.Remove:
			got["remove"] = append(got["remove"], o.Name)
		case o.Kind == prune.KindTemporary:
			got["young"] = append(got["young"], o.Name)
		default:
			got[o.Kind] = append(got[o.Kind], o.Name)
		}
		if o.Reason == "" {
			t.Errorf("%s: no reason", o.Name)
		}
	}
	for kind, names := range want {
		if !slices.Equal(got[kind], names) {
			t.Errorf("%s: %q, want %q", kind, got[kind], names)
		}
	}
	if len(got) != len(want) {
		t.Errorf("kinds %v, want %v", got, want)
	}
}

func TestGraceZeroRemovesEveryTemporaryFolder(t *testing.T) {
	dir := t.TempDir()
	backuptest.Write(t, dir, backuptest.Spec{ID: "20261206-020000", Time: hour("2026-12-06", 2), Tables: []string{"Users"}})
	temp := filepath.Join(dir, ".tmp-20261206-030000-incr-0a1b2c3d4e5f")
	if err := os.Mkdir(temp, 0o700); err != nil {
		t.Fatal(err)
	}
	res, err := prune.Inspect(dir, prune.Policy{Last: 1}, 0, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Others) != 1 || res.Others[0].Action != prune.Remove {
		t.Errorf("others %+v, want the temporary folder removed", res.Others)
	}
}

func TestKeepsBackupWithUnlistedFile(t *testing.T) {
	dir := history(t)
	if err := os.WriteFile(filepath.Join(dir, "20261202-120000-incr", "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A signature is not listed in the manifest, but backup writes it.
	signed := "20261203-120000-incr"
	if err := os.WriteFile(filepath.Join(dir, signed, manifest.SignatureFile), []byte("c2lnbmF0dXJl\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	res := inspect(t, dir, prune.Policy{Last: 1})

	b := find(t, res, "20261202-120000-incr")
	if b.Action != prune.Keep || len(b.Reasons) != 1 || !strings.Contains(b.Reasons[0], "notes.txt") {
		t.Errorf("action %s, reasons %q; want keep because of notes.txt", b.Action, b.Reasons)
	}
	if b := find(t, res, "20261202-020000"); b.Action != prune.Keep {
		t.Errorf("its full backup: action %s, want keep", b.Action)
	}
	if b := find(t, res, signed); b.Action != prune.Remove {
		t.Errorf("signed backup: action %s, reasons %q; want remove", b.Action, b.Reasons)
	}
}

func TestWarnsAboutBrokenChain(t *testing.T) {
	dir := history(t)
	if err := os.RemoveAll(filepath.Join(dir, "20261205-120000-incr")); err != nil {
		t.Fatal(err)
	}

	res := inspect(t, dir, prune.Policy{Last: 1})

	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "20261205-130000-incr needs 20261205-120000-incr, which is not in the folder") {
		t.Errorf("warnings %q, want one about the missing 20261205-120000-incr", res.Warnings)
	}
	// What the kept backups need is still kept, up to the gap.
	if b := find(t, res, "20261205-130000-incr"); b.Action != prune.Keep {
		t.Errorf("20261205-130000-incr: action %s, want keep", b.Action)
	}
	if b := find(t, res, "20261205-110000-incr"); b.Action != prune.Remove {
		t.Errorf("20261205-110000-incr: action %s, want remove: nothing kept reaches it", b.Action)
	}
}

// listing returns every path under dir with its size and modification
// time.
func listing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		out = append(out, path+" "+info.ModTime().String()+" "+info.Mode().String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDryRunRemovesNothing(t *testing.T) {
	dir := history(t)
	mess(t, dir)
	before := listing(t, dir)

	res, err := prune.Run(context.Background(), prune.Options{
		Dir: dir, Policy: prune.Policy{Daily: 2}, Grace: prune.DefaultGrace, DryRun: true, Now: func() time.Time { return now }, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}

	if !res.DryRun {
		t.Error("result not marked as a dry run")
	}
	if after := listing(t, dir); !slices.Equal(before, after) {
		t.Errorf("the folder changed: %d entries before, %d after", len(before), len(after))
	}
	for _, b := range res.Backups {
		if b.Removed {
			t.Fatalf("%s marked removed in a dry run", b.ID)
		}
	}
}

type logLine struct {
	Message string `json:"message"`
	Dir     string `json:"dir"`
}

func TestRunRemovesNewestFirst(t *testing.T) {
	dir := history(t)
	want := mess(t, dir)
	var logs bytes.Buffer

	res, err := prune.Run(context.Background(), prune.Options{
		Dir: dir, Policy: prune.Policy{Daily: 2}, Grace: prune.DefaultGrace, Now: func() time.Time { return now }, Log: zerolog.New(&logs),
	})
	if err != nil {
		t.Fatal(err)
	}

	var removed []string
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l logLine
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %s: %v", line, err)
		}
		if l.Message == "backup removed" {
			removed = append(removed, filepath.Base(l.Dir))
		}
	}
	if !slices.IsSortedFunc(removed, func(a, b string) int { return strings.Compare(b, a) }) {
		t.Errorf("backups removed in the order %v, want newest first", removed)
	}

	entries, err := manifest.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	var complete []string
	for _, e := range entries {
		if e.Status == manifest.Complete {
			complete = append(complete, e.Name)
			chain, problems := manifest.Chain(entries, e)
			if len(problems) > 0 {
				t.Errorf("%s: %v", e.Name, problems)
				continue
			}
			if problems, _ := manifest.CheckChain(chain); len(problems) > 0 {
				t.Errorf("%s: %v", e.Name, problems)
			}
		}
	}
	if !slices.Equal(complete, kept(res)) {
		t.Errorf("complete backups left %v, want the kept ones %v", complete, kept(res))
	}
	if len(removed) != len(res.Backups)-len(complete) {
		t.Errorf("%d backups removed, want %d", len(removed), len(res.Backups)-len(complete))
	}
	for _, b := range res.Backups {
		if b.Removed != (b.Action == prune.Remove) {
			t.Errorf("%s: action %s, removed %v", b.ID, b.Action, b.Removed)
		}
	}

	for kind, names := range want {
		for _, name := range names {
			_, err := os.Lstat(filepath.Join(dir, name))
			if gone := errors.Is(err, os.ErrNotExist); gone != (kind == "remove") {
				t.Errorf("%s (%s): gone %v", name, kind, gone)
			}
		}
	}
	items, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, item := range items {
		if strings.Contains(item.Name(), "-removing-") {
			t.Errorf("%s left behind", item.Name())
		}
	}
}

func TestRunFinishesInterruptedRemoval(t *testing.T) {
	dir := history(t)
	// A prune that stopped after renaming a backup and deleting part of
	// it: the rest is no backup, and the next prune removes it.
	half := filepath.Join(dir, ".tmp-20261129-020000-removing-0a1b2c3d4e5f")
	if err := os.Rename(filepath.Join(dir, "20261129-020000"), half); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(half, manifest.FileName)); err != nil {
		t.Fatal(err)
	}
	entries, err := manifest.Scan(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name == filepath.Base(half) && e.Status == manifest.Complete {
			t.Fatalf("%s counts as a complete backup", e.Name)
		}
	}

	if _, err := prune.Run(context.Background(), prune.Options{Dir: dir, Policy: prune.Policy{Last: 1}, Log: zerolog.Nop()}); err != nil {
		t.Fatal(err)
	}

	if _, err := os.Lstat(half); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: %v, want it removed", half, err)
	}
}

func TestRunRejects(t *testing.T) {
	dir := sharedHistory(t)
	tests := []struct {
		name string
		opts prune.Options
		want string
	}{
		{name: "no rule", opts: prune.Options{Dir: dir}, want: "no keep rule"},
		{name: "negative count", opts: prune.Options{Dir: dir, Policy: prune.Policy{Daily: -1}}, want: "invalid --keep-daily -1"},
		{name: "negative grace", opts: prune.Options{Dir: dir, Policy: prune.Policy{Daily: 1}, Grace: -time.Hour}, want: "invalid --grace"},
		{name: "missing folder", opts: prune.Options{Dir: filepath.Join(dir, "nope"), Policy: prune.Policy{Daily: 1}}, want: "does not exist"},
		{name: "one backup", opts: prune.Options{Dir: filepath.Join(dir, newest), Policy: prune.Policy{Daily: 1}}, want: "is one backup, not a folder of backups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := listing(t, dir)
			res, err := prune.Run(context.Background(), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
			if res != nil {
				t.Errorf("result %+v, want none", res)
			}
			if after := listing(t, dir); !slices.Equal(before, after) {
				t.Error("the folder changed")
			}
		})
	}
	if _, err := prune.Run(context.Background(), prune.Options{Dir: dir}); !errors.Is(err, prune.ErrNoRule) {
		t.Errorf("error %v, want ErrNoRule", err)
	}
}

func TestRunRejectsLockedFolder(t *testing.T) {
	dir := history(t)
	unlock, err := fsutil.Lock(filepath.Join(dir, backup.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()

	_, err = prune.Run(context.Background(), prune.Options{Dir: dir, Policy: prune.Policy{Last: 1}, Log: zerolog.Nop()})

	if err == nil || !strings.Contains(err.Error(), "a backup or another prune is running") {
		t.Errorf("error %v, want one saying a backup is running", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != recentDays*24+1 {
		t.Errorf("%d entries in the folder, want the %d backups and the lock", len(entries), recentDays*24)
	}
	// A dry run takes no lock, so it works while a backup runs.
	if _, err := prune.Run(context.Background(), prune.Options{Dir: dir, Policy: prune.Policy{Last: 1}, DryRun: true, Log: zerolog.Nop()}); err != nil {
		t.Errorf("dry run: %v", err)
	}
}

func TestRunStopsWhenCancelled(t *testing.T) {
	dir := history(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	res, err := prune.Run(ctx, prune.Options{Dir: dir, Policy: prune.Policy{Last: 1}, Log: zerolog.Nop()})

	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if res == nil || len(res.Backups) != recentDays*24 {
		t.Fatalf("result %v, want the plan", res)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != recentDays*24+1 {
		t.Errorf("%d entries in the folder, want every backup and the lock", len(entries))
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
