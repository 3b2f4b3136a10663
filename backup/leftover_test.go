package backup

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/manifest"
)

func TestCleanLeftoversAfterGrace(t *testing.T) {
	out := t.TempDir()
	now := time.Now()
	old := filepath.Join(out, manifest.TempPrefix+"20261204-010000-aaaa")
	young := filepath.Join(out, manifest.TempPrefix+"20261204-020000-bbbb")
	kept := filepath.Join(out, "20261204-000000")
	marksTemp := filepath.Join(out, "."+MarksFile+".tmp-123")
	for _, dir := range []string{old, young, kept} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Users.jsonl"), []byte("{}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(marksTemp, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// Old enough for removal, even though kept is as old: only the
	// temporary prefix makes a folder a leftover.
	past := now.Add(-2 * LeftoverGrace)
	for _, path := range []string{old, filepath.Join(old, "Users.jsonl"), kept} {
		if err := os.Chtimes(path, past, past); err != nil {
			t.Fatal(err)
		}
	}
	// An old folder with a file written just now may belong to a backup
	// still running elsewhere: its file's time counts.
	busy := filepath.Join(out, manifest.TempPrefix+"20261204-003000-cccc")
	if err := os.Mkdir(busy, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(busy, "Users.jsonl"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(busy, past, past); err != nil {
		t.Fatal(err)
	}

	cleanLeftovers(out, now, zerolog.Nop())

	for path, want := range map[string]bool{old: false, young: true, busy: true, kept: true, marksTemp: false} {
		_, err := os.Stat(path)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v, want %v", filepath.Base(path), exists, want)
		}
	}
}
