package prune

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
)

// Apply removes the backups and temporary folders that res plans to
// remove, and marks each one Removed once it is gone. It stops at the
// first failure and returns it. The caller must hold the folder's lock, as
// Run does.
//
// Backups go newest first, so that a run stopped halfway never leaves an
// incremental without the parent it needs. Each folder is first renamed to
// a temporary name, so that a folder half deleted is never taken for a
// backup. A later prune removes what a crash left of it.
func Apply(ctx context.Context, res *Result, log zerolog.Logger) error {
	for i := len(res.Backups) - 1; i >= 0; i-- {
		b := res.Backups[i]
		if b.Action != Remove {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := removeBackup(b.Dir); err != nil {
			return fmt.Errorf("remove backup %s: %w", b.ID, err)
		}
		b.Removed = true
		log.Info().Str(logging.Dir, b.Dir).Int64(logging.Bytes, b.Bytes).Msg("backup removed")
	}
	for _, o := range res.Others {
		if o.Action != Remove {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := os.RemoveAll(o.Dir); err != nil {
			return fmt.Errorf("remove temporary folder: %w", err)
		}
		o.Removed = true
		log.Info().Str(logging.Dir, o.Dir).Msg("temporary folder removed")
	}
	return fsutil.SyncDir(res.Dir)
}

// removeBackup renames dir to a temporary name, makes the rename durable,
// then deletes the folder. If the deletion fails, the error names the
// temporary folder that is left.
func removeBackup(dir string) error {
	parent := filepath.Dir(dir)
	tmp := filepath.Join(parent, manifest.TempPrefix+filepath.Base(dir)+removingMarker+randomSuffix())
	if err := os.Rename(dir, tmp); err != nil {
		return err
	}
	if err := fsutil.SyncDir(parent); err != nil {
		return err
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("%w; the folder is renamed to %s and no longer counts as a backup; the next prune removes it", err, tmp)
	}
	return nil
}

func randomSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
