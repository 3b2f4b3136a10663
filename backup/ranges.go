package backup

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/authagonal/authagonal-tables/codec"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// boundaries split the PartitionKey space of a large table into ranges by
// first character: below "0" (the empty key, control characters, space
// and punctuation), digits, letters, and from U+007F on (DEL and every
// non-ASCII character, emoji included). Together the ranges cover every
// possible key, so no key distribution can make a scan miss one; an
// uneven distribution costs only balance. The cuts suit the GUIDs, hex
// ids and names that Authagonal keys are made of.
var boundaries = []string{"0", "2", "4", "6", "8", "A", "G", "N", "U", "a", "c", "e", "g", "n", "u", "\u007f"}

// limits bound the work of a backup across all its tables: the requests
// in flight, and the key ranges open at once. Each open range keeps a
// writer with compression buffers per file, so the second bound is what
// keeps memory flat however many large tables run side by side.
type limits struct {
	requests chan struct{}
	ranges   chan struct{}
}

func newLimits(n int) *limits {
	n = max(n, 1)
	return &limits{requests: make(chan struct{}, n), ranges: make(chan struct{}, n)}
}

func (l *limits) acquire(ctx context.Context) error { return take(ctx, l.requests) }

func (l *limits) release() { <-l.requests }

// take waits for a place in sem, or for the end of ctx.
func take(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pageWriter writes the entities of one page to the outputs it is given:
// the table's final files, or the part files of one range.
type pageWriter func(outs []*output, entities []*entity.Entity) error

// rangedScan reads the entities that q selects from a table, in key order,
// into finals through write. It reads the first page alone. A table with
// more splits the rest of its key space into ranges and scans them
// concurrently, each request taking a slot. The first range writes into
// the final files. Each later range writes into part files of its own,
// which are appended to the final files in range order once it and every
// range before it are done.
//
// The files are therefore in key order, as one sequential scan writes
// them. With gzip each range is one gzip member, and the cuts depend only
// on the data, never on the concurrency, so the same data gives the same
// bytes at any --parallel.
type rangedScan struct {
	svc   *tables.Service
	table string
	dir   string
	codec codec.Codec
	// parts is the codec of the part files: codec, but encrypted to a key
	// of this backup alone when codec encrypts.
	parts  codec.Codec
	slots  *limits
	finals []*output
	write  pageWriter
	// onFirst is called with the first page before its entities are
	// written.
	onFirst func(tables.Page) error
	// onPage is called after each page is written, from any goroutine.
	onPage func(n int)
}

func (r *rangedScan) run(ctx context.Context, q tables.Query) error {
	first := r.svc.NewPager(r.table, q)
	var last *entity.Key
	for first.More() && last == nil {
		page, err := r.page(ctx, first)
		if err != nil {
			return err
		}
		if r.onFirst != nil {
			if err := r.onFirst(page); err != nil {
				return err
			}
			r.onFirst = nil
		}
		if err := r.write(r.finals, page.Entities); err != nil {
			return err
		}
		r.notify(len(page.Entities))
		if n := len(page.Entities); n > 0 {
			k := page.Entities[n-1].Key()
			last = &k
		}
	}
	if !first.More() {
		return nil
	}
	return r.scanRanges(ctx, q, splitAfter(*last))
}

func (r *rangedScan) page(ctx context.Context, p *tables.Pager) (tables.Page, error) {
	if err := r.slots.acquire(ctx); err != nil {
		return tables.Page{}, err
	}
	defer r.slots.release()
	return p.Next(ctx)
}

func (r *rangedScan) notify(n int) {
	if r.onPage != nil {
		r.onPage(n)
	}
}

// scanRanges scans the ranges concurrently and assembles their output in
// order.
func (r *rangedScan) scanRanges(parent context.Context, q tables.Query, ranges []keyRange) error {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)

	parts := make([][]*output, len(ranges))
	done := make([]bool, len(ranges))
	var mu sync.Mutex
	next := 0
	// appendReady appends, in range order, every finished range whose
	// predecessors are appended. The first range wrote into the finals.
	appendReady := func() error {
		mu.Lock()
		defer mu.Unlock()
		for next < len(ranges) && done[next] {
			if next == 0 {
				for _, f := range r.finals {
					if err := f.closeLines(); err != nil {
						return err
					}
				}
			} else {
				for i, f := range r.finals {
					if err := f.appendPart(parts[next][i]); err != nil {
						return err
					}
				}
			}
			next++
		}
		return nil
	}

	// Few ranges are open at once across the backup, and each opens its
	// part files only when it starts, so the writers and their buffers
	// stay few however many ranges the tables have.
	open := r.slots.ranges
	var wg sync.WaitGroup
	for i, kr := range ranges {
		if i > 0 && take(ctx, open) != nil {
			break
		}
		if i > 0 {
			outs := make([]*output, len(r.finals))
			for j, f := range r.finals {
				name := fmt.Sprintf(".part-%s-%02d", f.name, i)
				o, err := createOutput(r.dir, name, r.parts)
				if err != nil {
					cancel(err)
					break
				}
				outs[j] = o
			}
			mu.Lock()
			parts[i] = outs
			mu.Unlock()
		}
		if ctx.Err() != nil {
			if i > 0 {
				<-open
			}
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs := r.finals
			if i > 0 {
				mu.Lock()
				outs = parts[i]
				mu.Unlock()
			}
			err := r.scanRange(ctx, q, kr, outs)
			if err == nil && i > 0 {
				for _, o := range outs {
					if err = o.finish(); err != nil {
						break
					}
				}
			}
			if i > 0 {
				<-open
			}
			if err == nil {
				mu.Lock()
				done[i] = true
				mu.Unlock()
				err = appendReady()
			}
			if err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	for _, outs := range parts {
		for _, o := range outs {
			if o != nil {
				o.discard()
			}
		}
	}
	if err := context.Cause(ctx); err != nil && err != context.Canceled {
		return err
	}
	if err := parent.Err(); err != nil {
		return err
	}
	if next != len(ranges) {
		return fmt.Errorf("scan of table %q ended with %d of %d key ranges assembled", r.table, next, len(ranges))
	}
	return nil
}

func (r *rangedScan) scanRange(ctx context.Context, q tables.Query, kr keyRange, outs []*output) error {
	rq := q
	rq.Filter = kr.filter()
	if q.Filter != "" {
		rq.Filter = "(" + rq.Filter + ") and (" + q.Filter + ")"
	}
	pager := r.svc.NewPager(r.table, rq)
	for pager.More() {
		page, err := r.page(ctx, pager)
		if err != nil {
			return err
		}
		if err := r.write(outs, page.Entities); err != nil {
			return err
		}
		r.notify(len(page.Entities))
	}
	return nil
}

// keyRange is a part of the key space: the keys after a given key, or
// the PartitionKeys from one boundary up to the next.
type keyRange struct {
	// after, when set, starts the range just after this key; from is then
	// empty.
	after *entity.Key
	// from is the first PartitionKey of the range, inclusive; to is the
	// end, exclusive. Empty means unbounded.
	from, to string
}

func (k keyRange) filter() string {
	var parts []string
	switch {
	case k.after != nil:
		pk, rk := odataString(k.after.PartitionKey), odataString(k.after.RowKey)
		parts = append(parts, fmt.Sprintf("((PartitionKey eq %s and RowKey gt %s) or PartitionKey gt %s)", pk, rk, pk))
	case k.from != "":
		parts = append(parts, "PartitionKey ge "+odataString(k.from))
	}
	if k.to != "" {
		parts = append(parts, "PartitionKey lt "+odataString(k.to))
	}
	return strings.Join(parts, " and ")
}

// odataString quotes s as an OData string literal.
func odataString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// splitAfter returns the ranges that cover every key after last: from just
// after it to the next boundary, then from boundary to boundary, and the
// last one unbounded.
func splitAfter(last entity.Key) []keyRange {
	var cuts []string
	for _, b := range boundaries {
		if b > last.PartitionKey {
			cuts = append(cuts, b)
		}
	}
	ranges := []keyRange{{after: &last}}
	for i, c := range cuts {
		ranges[i].to = c
		ranges = append(ranges, keyRange{from: c})
	}
	return ranges
}

// RangeFilters returns the $filter of each key range that a backup scans
// after a first page that ended with last, in order. A benchmark uses it
// to read exactly as backup does.
func RangeFilters(last entity.Key) []string {
	ranges := splitAfter(last)
	filters := make([]string, len(ranges))
	for i, r := range ranges {
		filters[i] = r.filter()
	}
	return filters
}

// closeLines finishes the codec stream of a final file, so that parts can
// be appended after it. It does nothing the second time.
func (o *output) closeLines() error {
	if o.linesClosed {
		return nil
	}
	o.linesClosed = true
	if err := o.lines.Close(); err != nil {
		return fmt.Errorf("finish %s: %w", o.name, err)
	}
	return nil
}

// reopenLines starts a new codec stream, a new gzip member with gzip,
// after closeLines, so that more lines can follow appended parts.
func (o *output) reopenLines() error {
	if !o.linesClosed {
		return nil
	}
	w, err := o.inner.NewWriter(o.stream)
	if err != nil {
		return err
	}
	o.lines, o.linesClosed = w, false
	return nil
}

// appendPart copies the stream of a finished part file to the end of o's
// stream and removes the part. An encrypted part is decrypted on the way,
// so that the final file is one age stream.
func (o *output) appendPart(part *output) error {
	f, err := os.Open(part.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := codec.Unseal(part.codec, f)
	if err != nil {
		return fmt.Errorf("append %s to %s: %w", filepath.Base(part.path), o.name, err)
	}
	if _, err := io.Copy(o.stream, r); err != nil {
		return fmt.Errorf("append %s to %s: %w", filepath.Base(part.path), o.name, err)
	}
	o.count += part.count
	return os.Remove(part.path)
}
