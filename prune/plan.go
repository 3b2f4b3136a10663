// Package prune decides which backups of a folder of backups to keep under
// a retention policy, and removes the others.
//
// The rules work as restic's forget does: each rule selects some backups,
// and the union of what they select is kept. A backup that a kept
// incremental needs for its restore is kept too, because removing it would
// make the kept one useless.
package prune

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/authagonal/authagonal-tables/manifest"
)

// Policy is the set of keep rules. A count of zero turns its rule off.
type Policy struct {
	// Last keeps the newest Last backups.
	Last int `json:"last"`
	// Hourly keeps the newest backup of each of the newest Hourly hours
	// that have one. Daily, Weekly and Monthly do the same for UTC days,
	// ISO 8601 weeks and months.
	Hourly  int `json:"hourly"`
	Daily   int `json:"daily"`
	Weekly  int `json:"weekly"`
	Monthly int `json:"monthly"`
}

// ErrNoRule is returned by Policy.Validate when every count is zero.
var ErrNoRule = errors.New("no keep rule given: give at least one of --keep-last, --keep-hourly, --keep-daily, --keep-weekly and --keep-monthly, such as --keep-daily 7")

// Validate rejects negative counts and a policy without any rule, which
// would keep only what chains and marks need.
func (p Policy) Validate() error {
	for _, r := range p.rules() {
		if r.count < 0 {
			return fmt.Errorf("invalid --keep-%s %d: expected 0 or more", r.flag, r.count)
		}
	}
	if p == (Policy{}) {
		return ErrNoRule
	}
	return nil
}

// rule is one keep rule: it keeps the newest backup of each of the newest
// count buckets.
type rule struct {
	flag  string
	count int
	// bucket returns the name of the period a backup started in. Every
	// backup is its own bucket for --keep-last.
	bucket func(t time.Time, id string) string
	// reason returns the text that explains why the rule keeps a backup.
	reason func(bucket string) string
}

func (p Policy) rules() []rule {
	byFormat := func(layout string) func(time.Time, string) string {
		return func(t time.Time, _ string) string { return t.UTC().Format(layout) }
	}
	named := func(prefix string) func(string) string {
		return func(bucket string) string { return prefix + " " + bucket }
	}
	return []rule{
		{flag: "last", count: p.Last,
			bucket: func(_ time.Time, id string) string { return id },
			reason: func(string) string { return fmt.Sprintf("last %d", p.Last) }},
		{flag: "hourly", count: p.Hourly, bucket: byFormat("2006-01-02 15:00"), reason: named("hourly")},
		{flag: "daily", count: p.Daily, bucket: byFormat("2006-01-02"), reason: named("daily")},
		{flag: "weekly", count: p.Weekly, bucket: isoWeek, reason: named("weekly")},
		{flag: "monthly", count: p.Monthly, bucket: byFormat("2006-01"), reason: named("monthly")},
	}
}

// isoWeek returns the ISO 8601 week of t in UTC, such as 2026-W49.
func isoWeek(t time.Time, _ string) string {
	year, week := t.UTC().ISOWeek()
	return fmt.Sprintf("%04d-W%02d", year, week)
}

// Pin keeps one backup, and what it needs, whatever the rules select.
type Pin struct {
	// ID is the backup id or folder name.
	ID     string
	Reason string
}

// ReasonNewest is the reason the newest backup is always kept.
const ReasonNewest = "newest: the next incremental follows it"

// Decision is the outcome of a plan for one complete backup.
type Decision struct {
	Entry *manifest.Entry
	Keep  bool
	// Reasons are the rules and pins that select the backup.
	Reasons []string
	// NeededBy lists, newest first, the ids of the backups selected by a
	// rule or pin whose restore needs this backup: it is in their chain
	// of parents or holds the copy of a table they follow.
	NeededBy []string
}

// Plan is the outcome of NewPlan.
type Plan struct {
	// Backups holds one decision per complete backup, oldest first.
	Backups []*Decision
	// Warnings name backups that a kept backup needs but that are
	// missing, damaged or incomplete, so its chain is broken already.
	Warnings []string
}

// NewPlan decides which backups to keep. It looks at the complete backups
// of entries only, because the others are never removed; the caller lists
// them. It keeps the union of:
//
//   - what each rule of policy selects;
//   - the newest backup, which the next incremental follows;
//   - the backups that pins name;
//   - every backup that a backup kept for the reasons above needs: its
//     parent, the parent's parent and so on, and the BaseBackupId of each
//     of its tables, with what those need in turn.
//
// Times are the start times of the manifests, in UTC. Backups that start
// at the same time keep the order of entries, which manifest.Scan sorts
// oldest first.
func NewPlan(entries []*manifest.Entry, policy Policy, pins []Pin) *Plan {
	plan := &Plan{}
	byID := map[string]*Decision{}
	others := map[string]*manifest.Entry{}
	for _, e := range entries {
		if e.Status != manifest.Complete {
			others[e.ID()] = e
			others[e.Name] = e
			continue
		}
		d := &Decision{Entry: e}
		plan.Backups = append(plan.Backups, d)
		byID[e.ID()] = d
		byID[e.Name] = d
	}
	sort.SliceStable(plan.Backups, func(i, j int) bool {
		return plan.Backups[i].Entry.Time().Before(plan.Backups[j].Entry.Time())
	})
	if len(plan.Backups) == 0 {
		return plan
	}

	keep := func(d *Decision, reason string) {
		d.Keep = true
		d.Reasons = append(d.Reasons, reason)
	}
	for _, r := range policy.rules() {
		applyRule(plan.Backups, r, keep)
	}
	keep(plan.Backups[len(plan.Backups)-1], ReasonNewest)
	for _, p := range pins {
		if d, ok := byID[p.ID]; ok {
			keep(d, p.Reason)
		}
	}

	var roots []*Decision
	for _, d := range plan.Backups {
		if d.Keep {
			roots = append(roots, d)
		}
	}
	warned := map[string]bool{}
	for i := len(roots) - 1; i >= 0; i-- {
		root := roots[i]
		for _, w := range keepNeeds(root, byID, others) {
			if !warned[w] {
				warned[w] = true
				plan.Warnings = append(plan.Warnings, w)
			}
		}
	}
	return plan
}

// applyRule walks the backups newest first and selects the newest backup
// of each bucket until the rule has selected count of them.
func applyRule(backups []*Decision, r rule, keep func(*Decision, string)) {
	kept := 0
	last := "" // no bucket is empty
	for i := len(backups) - 1; i >= 0 && kept < r.count; i-- {
		e := backups[i].Entry
		b := r.bucket(e.Time(), e.ID())
		if b == last {
			continue
		}
		last = b
		keep(backups[i], r.reason(b))
		kept++
	}
}

// keepNeeds keeps every backup that root needs, recording root in their
// NeededBy. Roots arrive newest first, so NeededBy ends up newest first.
// It returns a warning for each needed backup that is missing, damaged or
// incomplete.
func keepNeeds(root *Decision, byID map[string]*Decision, others map[string]*manifest.Entry) []string {
	var warnings []string
	seen := map[*Decision]bool{root: true}
	queue := []*Decision{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, id := range needs(cur.Entry.Manifest) {
			d, ok := byID[id]
			switch {
			case ok && !seen[d]:
				seen[d] = true
				d.Keep = true
				d.NeededBy = append(d.NeededBy, root.Entry.ID())
				queue = append(queue, d)
			case ok:
			case others[id] != nil:
				o := others[id]
				warnings = append(warnings, fmt.Sprintf("backup %s needs %s, which is %s (%v); prune leaves it alone, but the chain of %s is broken",
					cur.Entry.ID(), id, o.Status, o.Err, cur.Entry.ID()))
			default:
				warnings = append(warnings, fmt.Sprintf("backup %s needs %s, which is not in the folder, so the chain of %s is broken",
					cur.Entry.ID(), id, cur.Entry.ID()))
			}
		}
	}
	return warnings
}

// needs returns the ids of the backups that a restore of m reads besides
// m: its parent, and the backup each of its tables follows.
func needs(m *manifest.Manifest) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	add(m.ParentBackupID)
	for _, name := range m.TableNames() {
		add(m.Tables[name].BaseBackupID)
	}
	return ids
}
