package prune

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/internal/fsutil"
	"github.com/authagonal/authagonal-tables/manifest"
)

// removingMarker is in the name that Apply gives a folder before it
// deletes it, after manifest.TempPrefix and the folder's name. A folder
// with it in its name is the rest of a removal that was interrupted.
const removingMarker = "-removing-"

// listOthers lists every entry of dir that is not a complete backup and
// decides what to do with it: temporary folders older than grace are
// removed, and everything else is left alone.
func listOthers(dir string, entries []*manifest.Entry, grace time.Duration, now time.Time) ([]*Other, error) {
	scanned := map[string]*manifest.Entry{}
	for _, e := range entries {
		scanned[e.Name] = e
	}
	items, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	others := []*Other{}
	for _, item := range items {
		name := item.Name()
		if name == backup.LockFile || name == backup.MarksFile {
			continue
		}
		o := &Other{Name: name, Dir: filepath.Join(dir, name), Action: Leave}
		e, ok := scanned[name]
		switch {
		case ok && e.Status == manifest.Complete:
			continue
		case ok && strings.HasPrefix(name, manifest.TempPrefix):
			if err := judgeTemporary(o, grace, now); err != nil {
				return nil, err
			}
		case ok && e.Status == manifest.Damaged && errors.Is(e.Err, manifest.ErrLegacy):
			o.Kind = KindLegacy
			o.Reason = "a backup of the Authagonal .NET backup tool; prune leaves it alone, remove it by hand when it is no longer needed"
		case ok && e.Status == manifest.Damaged:
			o.Kind = KindDamaged
			o.Reason = fmt.Sprintf("damaged: %v; prune leaves it alone, run verify on it", e.Err)
		case ok:
			o.Kind = KindIncomplete
			o.Reason = "named like a backup but has no " + manifest.FileName + ", so it is not a complete backup; prune leaves it alone"
		default:
			o.Kind = KindForeign
			o.Reason = "not a backup of authagonal-tables; prune leaves it alone"
		}
		others = append(others, o)
	}
	return others, nil
}

// judgeTemporary decides on a temporary folder. The lock keeps backups
// out while prune runs, but the lock may not reach a backup from another
// host, so a folder is left alone until it has not changed for grace.
func judgeTemporary(o *Other, grace time.Duration, now time.Time) error {
	o.Kind = KindTemporary
	if strings.Contains(o.Name, removingMarker) {
		o.Action = Remove
		o.Reason = "rest of a backup whose removal by an earlier prune was interrupted"
		return nil
	}
	changed, err := fsutil.LastChange(o.Dir)
	if err != nil {
		return err
	}
	age := now.Sub(changed)
	if age >= grace {
		o.Action = Remove
		o.Reason = fmt.Sprintf("temporary folder of a backup that did not finish, unchanged for %s (--grace is %s)", formatAge(age), formatGrace(grace))
		return nil
	}
	o.Reason = fmt.Sprintf("temporary folder changed %s ago, within --grace %s, so a backup may still be writing it", formatAge(age), formatGrace(grace))
	return nil
}

// formatAge prints an age as days, hours and minutes, such as 2d3h or 45m.
func formatAge(d time.Duration) string {
	if d < time.Minute {
		return "less than a minute"
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	minutes := int(d % time.Hour / time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh%dm", hours, minutes)
	}
	return fmt.Sprintf("%dm", minutes)
}

// formatGrace prints a duration as Go does, without zero minutes and
// seconds at the end: 24h, 1h30m.
func formatGrace(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		s = "0s"
	}
	return s
}
