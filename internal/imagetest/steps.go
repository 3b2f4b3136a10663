package main

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/compare"
	"github.com/authagonal/authagonal-tables/internal/sampledata"
	"github.com/authagonal/authagonal-tables/tables"
)

// The user and entrypoint that the Dockerfile sets.
const (
	imageUser       = "65532:65532"
	imageUID        = 65532
	imageEntrypoint = "authagonal-tables"
)

// Exit codes of authagonal-tables that the steps expect.
const (
	toolOK    = 0
	toolError = 1
)

// run performs the steps in order and returns how many passed. It stops at
// the first failed step and returns its error.
func run(ctx context.Context, opts options) (int, error) {
	t := &tester{opts: opts}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"image configuration", t.checkConfig},
		{"help without arguments", t.checkHelp},
		{"backup", t.backup},
		{"verify", t.verify},
		{"restore", t.restore},
		{"verify of a tampered backup", t.verifyTampered},
	}
	defer t.cleanup()

	passed := 0
	for _, step := range steps {
		logf("step %q", step.name)
		if err := step.run(ctx); err != nil {
			return passed, fmt.Errorf("step %q failed: %w", step.name, err)
		}
		logf("step %q passed", step.name)
		passed++
	}
	return passed, nil
}

// tester contains what the steps share: the image, the two Azurite accounts
// and the host folder mounted on the volume.
type tester struct {
	opts   options
	engine *engine
	source *azurite.Server
	target *azurite.Server
	volume string
	// backupName is the folder that the backup step created in the volume.
	backupName string
}

func (t *tester) cleanup() {
	if t.source != nil {
		t.source.Stop()
	}
	if t.target != nil {
		t.target.Stop()
	}
	if t.volume != "" {
		os.RemoveAll(t.volume)
	}
}

func (t *tester) checkConfig(ctx context.Context) error {
	e, err := inspectImage(ctx, t.opts.buildah, t.opts.image)
	if err != nil {
		return err
	}
	t.engine = e
	c := e.config
	if !slices.Equal(c.Entrypoint, []string{imageEntrypoint}) {
		return fmt.Errorf("entrypoint is %q, expected [%q]", c.Entrypoint, imageEntrypoint)
	}
	if c.User != imageUser {
		return fmt.Errorf("user is %q, expected %q", c.User, imageUser)
	}
	if _, ok := c.Volumes[volumePath]; !ok {
		return fmt.Errorf("volumes are %v, expected %s among them", c.Volumes, volumePath)
	}
	return nil
}

func (t *tester) checkHelp(ctx context.Context) error {
	res, err := t.engine.run(ctx, runOptions{})
	if err != nil {
		return err
	}
	if res.exitCode != toolOK {
		return fmt.Errorf("exit code %d, expected %d", res.exitCode, toolOK)
	}
	for _, want := range []string{"USAGE:", "COMMANDS:", "backup", "restore", "EXIT CODES:", "VERSION:\n   " + t.opts.version + "\n"} {
		if !strings.Contains(res.stdout, want) {
			return fmt.Errorf("the help on stdout does not contain %q", want)
		}
	}
	return nil
}

func (t *tester) backup(ctx context.Context) error {
	logf("starting Azurite A and B")
	var err error
	if t.source, err = azurite.Start(ctx); err != nil {
		return fmt.Errorf("start Azurite: %w", err)
	}
	if t.target, err = azurite.Start(ctx); err != nil {
		return fmt.Errorf("start Azurite: %w", err)
	}
	source, err := t.source.Service()
	if err != nil {
		return err
	}
	logf("seeding Azurite A with %d users", t.opts.users)
	stats, err := sampledata.Seed(ctx, source, sampledata.Options{Users: t.opts.users, Seed: 1})
	if err != nil {
		return fmt.Errorf("seed Azurite A: %w", err)
	}
	logf("seeded %d entities into %d tables", stats.Entities, stats.Tables)

	if t.volume, err = newVolume(); err != nil {
		return err
	}
	res, err := t.engine.run(ctx, runOptions{volume: t.volume, env: connectionEnv(t.source)},
		"backup", "--output", volumePath, "--gzip")
	if err != nil {
		return err
	}
	if res.exitCode != toolOK {
		return fmt.Errorf("exit code %d, expected %d", res.exitCode, toolOK)
	}

	if t.backupName, err = findBackupFolder(t.volume); err != nil {
		return err
	}
	return checkPermissions(t.volume, imageUID)
}

func (t *tester) verify(ctx context.Context) error {
	res, err := t.engine.run(ctx, runOptions{volume: t.volume}, "verify", volumePath+"/"+t.backupName)
	if err != nil {
		return err
	}
	if res.exitCode != toolOK {
		return fmt.Errorf("exit code %d, expected %d", res.exitCode, toolOK)
	}
	return nil
}

func (t *tester) restore(ctx context.Context) error {
	res, err := t.engine.run(ctx, runOptions{volume: t.volume, env: connectionEnv(t.target)},
		"restore", "--input", volumePath+"/"+t.backupName)
	if err != nil {
		return err
	}
	if res.exitCode != toolOK {
		return fmt.Errorf("exit code %d, expected %d", res.exitCode, toolOK)
	}

	source, err := t.source.Service()
	if err != nil {
		return err
	}
	target, err := t.target.Service()
	if err != nil {
		return err
	}
	// A backup without --tables takes the default set, so that is what the
	// restored account must hold.
	report, err := compare.Accounts(ctx, source, target, tables.Default)
	if err != nil {
		return fmt.Errorf("compare Azurite A and B: %w", err)
	}
	a, b := report.Entities()
	if !report.Identical() {
		return fmt.Errorf("Azurite B differs from A after the restore in %d ways, first %v", report.DifferenceCount(), report.Differences()[0])
	}
	if a == 0 {
		return fmt.Errorf("Azurite A has no entities in the default tables %v; the comparison proves nothing", tables.Default)
	}
	logf("Azurite A and B hold the same %d entities (%d in B)", a, b)
	return nil
}

// verifyTampered changes one byte of a data file in a copy of the backup and
// expects verify to fail with exit code 1, which proves that the exit code
// of the tool reaches the caller of the container.
func (t *tester) verifyTampered(ctx context.Context) error {
	original := filepath.Join(t.volume, t.backupName)
	tampered := filepath.Join(t.volume, "tampered")
	if err := copyFolder(original, tampered); err != nil {
		return err
	}
	data, err := filepath.Glob(filepath.Join(tampered, "*.jsonl.gz"))
	if err != nil || len(data) == 0 {
		return fmt.Errorf("no data file *.jsonl.gz in %s", original)
	}
	if err := flipLastByte(data[0]); err != nil {
		return err
	}

	res, err := t.engine.run(ctx, runOptions{volume: t.volume}, "verify", volumePath+"/tampered")
	if err != nil {
		return err
	}
	if res.exitCode != toolError {
		return fmt.Errorf("exit code %d, expected %d for a backup whose %s was changed", res.exitCode, toolError, filepath.Base(data[0]))
	}
	return nil
}

// connectionEnv returns the environment that passes the connection string
// of server to the container, as `docker run --env-file` would.
func connectionEnv(server *azurite.Server) []string {
	return []string{"STORAGE_CONNECTION_STRING=" + server.ConnectionString()}
}

// newVolume creates the host folder to mount on the volume, owned by the
// image's user and closed to others, as docs/docker.md recommends.
func newVolume() (string, error) {
	dir, err := os.MkdirTemp("", "authagonal-imagetest-")
	if err != nil {
		return "", err
	}
	if err := os.Chown(dir, imageUID, imageUID); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("give the volume folder to the image's user: %w", err)
	}
	return dir, nil
}

// findBackupFolder returns the name of the one folder in the volume.
func findBackupFolder(volume string) (string, error) {
	entries, err := os.ReadDir(volume)
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
		return "", fmt.Errorf("expected the backup to create exactly one folder in the volume, found %d: %v", len(folders), folders)
	}
	return folders[0], nil
}

// checkPermissions checks that every file and folder below volume belongs
// to the user owner and is closed to others: files 0600 and folders 0700.
func checkPermissions(volume string, owner int) error {
	files := 0
	err := filepath.WalkDir(volume, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == volume {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = fs.ModeDir | 0o700
		} else {
			files++
		}
		rel, _ := filepath.Rel(volume, path)
		if info.Mode() != want {
			return fmt.Errorf("%s has mode %s, expected %s", rel, info.Mode(), want)
		}
		if uid := info.Sys().(*syscall.Stat_t).Uid; int(uid) != owner {
			return fmt.Errorf("%s belongs to UID %d, expected %d", rel, uid, owner)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if files == 0 {
		return fmt.Errorf("the backup wrote no file to the volume")
	}
	logf("%d files in the volume, all 0600 and owned by UID %d, in folders 0700", files, owner)
	return nil
}

// copyFolder copies the regular files of src into a new folder dst,
// keeping their modes and giving them to the image's user.
func copyFolder(src, dst string) error {
	if err := os.Mkdir(dst, 0o700); err != nil {
		return err
	}
	if err := os.Chown(dst, imageUID, imageUID); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		target := filepath.Join(dst, e.Name())
		if err := os.WriteFile(target, data, 0o600); err != nil {
			return err
		}
		if err := os.Chown(target, imageUID, imageUID); err != nil {
			return err
		}
	}
	return nil
}

// flipLastByte inverts the bits of the last byte of a file.
func flipLastByte(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return fmt.Errorf("%s is empty", path)
	}
	data[len(data)-1] ^= 0xff
	return os.WriteFile(path, data, 0o600)
}
