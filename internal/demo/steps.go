package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// interruptGrace is how long a cancelled tool may take to stop after
// SIGINT before it is killed.
const interruptGrace = 10 * time.Second

// runTool runs the binary with args, as a user would from a shell, with its
// output passed through to the terminal. The connection strings in args
// contain only the public key of the Azurite development account.
func runTool(ctx context.Context, bin string, args ...string) error {
	logf("running %s %s", filepath.Base(bin), redactArgs(args))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	// On cancellation, ask the tool to stop as Ctrl-C would, so that it can
	// clean up, and kill it only if it does not stop in time.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = interruptGrace
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", filepath.Base(bin), args[0], err)
	}
	return nil
}

// toolOutput runs the binary with args and returns its stdout; its stderr,
// the log, passes through to the terminal.
func toolOutput(ctx context.Context, bin string, args ...string) (string, error) {
	logf("running %s %s", filepath.Base(bin), redactArgs(args))
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", filepath.Base(bin), args[0], err)
	}
	return strings.TrimSpace(string(out)), nil
}

// demoKeys are the keys of the demo: an age identity whose recipient
// encrypts the backups, and an Ed25519 pair that signs and checks them.
type demoKeys struct {
	recipient, identity, signKey, verifyKey string
}

// makeKeys creates the demo's keys with keygen in dir, outside the backup
// folder, as an operator keeps keys apart from backups.
func makeKeys(ctx context.Context, bin, dir string) (demoKeys, error) {
	k := demoKeys{
		identity:  filepath.Join(dir, "restore-identity.txt"),
		signKey:   filepath.Join(dir, "signing.key"),
		verifyKey: filepath.Join(dir, "signing.pub"),
	}
	recipient, err := toolOutput(ctx, bin, "keygen", "--encryption", k.identity)
	if err != nil {
		return k, err
	}
	k.recipient = recipient
	if err := runTool(ctx, bin, "keygen", "--signing", filepath.Join(dir, "signing")); err != nil {
		return k, err
	}
	return k, nil
}

// redactArgs formats args for the log with connection strings shortened,
// because the log is meant to be read and the key is noise.
func redactArgs(args []string) string {
	out := make([]string, len(args))
	for i, arg := range args {
		if i > 0 && args[i-1] == "--connection-string" {
			arg = `"<Azurite connection string>"`
		}
		out[i] = arg
	}
	return strings.Join(out, " ")
}

// findBackupFolder returns the one folder that a backup created in output.
// Files in output are ignored. No folder, or more than one, is an error,
// because output was created empty for this run.
func findBackupFolder(output string) (string, error) {
	entries, err := os.ReadDir(output)
	if err != nil {
		return "", err
	}
	var folders []string
	for _, e := range entries {
		if e.IsDir() {
			folders = append(folders, e.Name())
		}
	}
	if len(folders) != 1 {
		return "", fmt.Errorf("expected the backup to create exactly one folder in %s, found %d: %v", output, len(folders), folders)
	}
	return filepath.Join(output, folders[0]), nil
}

// folderSize returns the total size in bytes of the regular files below
// dir.
func folderSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("measure backup folder: %w", err)
	}
	return total, nil
}
