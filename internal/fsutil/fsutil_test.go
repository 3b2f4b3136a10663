package fsutil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestModesIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()

	sub := filepath.Join(dir, "backup")
	if err := Mkdir(sub); err != nil {
		t.Fatal(err)
	}
	f, err := CreateExclusive(filepath.Join(sub, "Users.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := WriteFileAtomic(filepath.Join(sub, "_manifest.json"), []byte("{}")); err != nil {
		t.Fatal(err)
	}

	for path, want := range map[string]os.FileMode{
		sub:                                  DirMode,
		filepath.Join(sub, "Users.jsonl"):    FileMode,
		filepath.Join(sub, "_manifest.json"): FileMode,
	} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := info.Mode().Perm(); got != want {
			t.Errorf("%s mode = %o, want %o", filepath.Base(path), got, want)
		}
	}
}

func TestCreateExclusiveRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := CreateExclusive(path); !os.IsExist(err) {
		t.Errorf("err = %v, want an exists error", err)
	}
}

func TestWriteFileAtomicReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "_manifest.json")
	for _, content := range []string{"first", "second"} {
		if err := WriteFileAtomic(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "second" {
		t.Errorf("content = %q, want second", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only the file", len(entries))
	}
}
