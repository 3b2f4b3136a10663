package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/internal/backuptest"
)

// pruneHistory writes three days of daily full backups at 02:00 and
// hourly incrementals, from 2026-12-02 to 2026-12-05 01:00, and a file
// that is no backup.
func pruneHistory(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	backuptest.WriteAll(t, dir, backuptest.Schedule(time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC), 3, "Users"))
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func backupFolders(t *testing.T, dir string) int {
	t.Helper()
	items, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, item := range items {
		if item.IsDir() {
			n++
		}
	}
	return n
}

func TestPruneRejectsNoRule(t *testing.T) {
	dir := pruneHistory(t)

	r := runBinary(t, nil, "prune", dir)

	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "no keep rule given") {
		t.Errorf("stderr %q, want the missing rule named", r.stderr)
	}
	if n := backupFolders(t, dir); n != 72 {
		t.Errorf("%d folders left, want all 72", n)
	}
}

func TestPruneRejectsFlagsAfterFolder(t *testing.T) {
	dir := pruneHistory(t)

	r := runBinary(t, nil, "prune", dir, "--keep-daily", "1")

	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "flags such as --keep-daily go before it") {
		t.Errorf("stderr %q, want a hint that flags go first", r.stderr)
	}
}

func TestPruneDryRunReport(t *testing.T) {
	dir := pruneHistory(t)

	r := runBinary(t, nil, "prune", "--keep-daily", "2", "--dry-run", dir)

	wantCode(t, r, 0)
	for _, want := range []string{
		"ACTION  BACKUP",
		"KEEP    20261205-010000-incr",
		"daily 2026-12-05, newest: the next incremental follows it",
		"KEEP    20261204-020000  ",
		"needed by 20261205-010000-incr and 1 more",
		"daily 2026-12-04, needed by 20261205-010000-incr",
		"REMOVE  20261203-230000-incr",
		"LEAVE   notes.txt",
		"Dry run: would keep 24 backups, remove 48 backups (",
		"and 0 temporary folders, and leave 1 other entry alone.",
		"Nothing was removed.",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if n := backupFolders(t, dir); n != 72 {
		t.Errorf("%d folders left after a dry run, want all 72", n)
	}
	if _, err := os.Lstat(filepath.Join(dir, ".lock")); err == nil {
		t.Error("a dry run created the lock file")
	}
}

func TestPruneJSONFromEnvironment(t *testing.T) {
	dir := pruneHistory(t)

	r := runBinary(t, []string{"PRUNE_KEEP_LAST=2"}, "prune", "--json", dir)

	wantCode(t, r, 0)
	var res struct {
		DryRun  bool `json:"dryRun"`
		Backups []struct {
			ID       string   `json:"id"`
			Action   string   `json:"action"`
			Reasons  []string `json:"reasons"`
			NeededBy []string `json:"neededBy"`
			Removed  bool     `json:"removed"`
		} `json:"backups"`
		Others []struct {
			Name   string `json:"name"`
			Kind   string `json:"kind"`
			Action string `json:"action"`
		} `json:"others"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	keep, removed := 0, 0
	for _, b := range res.Backups {
		switch {
		case b.Action == "keep":
			keep++
		case b.Removed:
			removed++
		default:
			t.Errorf("%s: action %s, not removed", b.ID, b.Action)
		}
	}
	// The newest two backups, 2026-12-05 00:00 and 01:00, follow the full
	// backup of 2026-12-04 02:00.
	if keep != 24 || removed != 48 || res.DryRun {
		t.Errorf("kept %d, removed %d, dry run %v; want 24, 48, false", keep, removed, res.DryRun)
	}
	if len(res.Others) != 1 || res.Others[0].Name != "notes.txt" || res.Others[0].Kind != "foreign" || res.Others[0].Action != "leave" {
		t.Errorf("others %+v, want notes.txt left alone", res.Others)
	}
	if n := backupFolders(t, dir); n != 24 {
		t.Errorf("%d folders left, want 24", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Errorf("notes.txt: %v", err)
	}
}

func TestUnknownCommandListsPrune(t *testing.T) {
	r := runBinary(t, nil, "prun")

	wantCode(t, r, 1)
	if !strings.Contains(r.stderr, "prune,") && !strings.Contains(r.stderr, "prune and") {
		t.Errorf("stderr %q, want prune among the commands", r.stderr)
	}
}
