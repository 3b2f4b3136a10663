package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckPermissionsAcceptsOwnerOnly(t *testing.T) {
	volume := t.TempDir()
	dir := filepath.Join(volume, "20261204-020000")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(volume, ".lock"), 0o600)
	writeFile(t, filepath.Join(dir, "Users.jsonl.gz"), 0o600)

	if err := checkPermissions(volume, os.Getuid()); err != nil {
		t.Errorf("checkPermissions: %v", err)
	}
}

func TestCheckPermissionsRejects(t *testing.T) {
	cases := []struct {
		name    string
		prepare func(t *testing.T, volume string)
		want    string
	}{
		{"file readable by others", func(t *testing.T, volume string) {
			writeFile(t, filepath.Join(volume, "Users.jsonl.gz"), 0o644)
		}, "Users.jsonl.gz has mode -rw-r--r--"},
		{"folder open to others", func(t *testing.T, volume string) {
			dir := filepath.Join(volume, "20261204-020000")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}, "20261204-020000 has mode drwxr-xr-x"},
		{"nested file", func(t *testing.T, volume string) {
			dir := filepath.Join(volume, "20261204-020000")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "_manifest.json"), 0o640)
		}, "_manifest.json has mode -rw-r-----"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			volume := t.TempDir()
			c.prepare(t, volume)

			err := checkPermissions(volume, os.Getuid())
			if err == nil {
				t.Fatal("checkPermissions returned no error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
		})
	}
}

func TestCheckPermissionsRejectsOtherOwner(t *testing.T) {
	volume := t.TempDir()
	writeFile(t, filepath.Join(volume, "Users.jsonl.gz"), 0o600)

	err := checkPermissions(volume, os.Getuid()+1)
	if err == nil || !strings.Contains(err.Error(), "belongs to UID") {
		t.Errorf("checkPermissions returned %v, expected an error about the owner", err)
	}
}

func TestCheckPermissionsRejectsEmptyVolume(t *testing.T) {
	err := checkPermissions(t.TempDir(), os.Getuid())
	if err == nil || !strings.Contains(err.Error(), "no file") {
		t.Errorf("checkPermissions of an empty volume returned %v, expected an error about no file", err)
	}
}

func TestFindBackupFolderIgnoresFiles(t *testing.T) {
	volume := t.TempDir()
	writeFile(t, filepath.Join(volume, ".lock"), 0o600)
	if err := os.Mkdir(filepath.Join(volume, "20261204-020000"), 0o700); err != nil {
		t.Fatal(err)
	}

	name, err := findBackupFolder(volume)
	if err != nil {
		t.Fatalf("findBackupFolder: %v", err)
	}
	if name != "20261204-020000" {
		t.Errorf("findBackupFolder returned %q, expected 20261204-020000", name)
	}
}

func writeFile(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte("x"), mode); err != nil {
		t.Fatal(err)
	}
	// The umask may have narrowed the mode.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
