package tables

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
)

// PageSize is the number of entities asked for per page, the service's
// maximum. The service may return fewer, or none, with a continuation.
const PageSize = 1000

// Query selects the entities of one table.
type Query struct {
	// Filter is an OData $filter expression, or empty for every entity.
	Filter string
	// Select lists the properties to return, or nil for all of them.
	Select []string
	// Top caps the entities per page; zero means PageSize.
	Top int
}

// KeysOnly selects only the keys of each entity, the cheapest full scan.
var KeysOnly = Query{Select: []string{entity.PartitionKey, entity.RowKey}}

// CountEntities counts the entities of table with a keys-only scan.
func (s *Service) CountEntities(ctx context.Context, table string) (int64, error) {
	var n int64
	err := s.Query(ctx, table, KeysOnly, func(p Page) error {
		n += int64(len(p.Entities))
		return nil
	})
	return n, err
}

// Page is one response of a query.
type Page struct {
	Entities []*entity.Entity
	// Date is the service's clock when it sent the page, from the Date
	// header, at 1-second resolution; zero if the header was missing.
	Date time.Time
}

// continuation is the position the service returns when a query has more
// results. Its values are opaque: Azure encodes them.
type continuation struct {
	partitionKey, rowKey string
	// set is true when the service sent a continuation, even one whose
	// NextPartitionKey is empty, as Azurite sends inside the partition of
	// the empty key.
	set bool
}

// ErrRepeatedContinuation is wrapped by the error of a query whose service
// returned a continuation it had returned before.
var ErrRepeatedContinuation = errors.New("the service returned a continuation it had returned before")

// Pager pages through one query, a page per call to Next, so that the
// caller decides when each request is sent.
type Pager struct {
	svc   *Service
	table string
	q     Query
	next  continuation
	done  bool
	// seen holds every continuation the service has sent. A continuation
	// is a position in key order, which only moves forward, so one sent
	// twice means the service would send the same pages forever.
	seen map[continuation]struct{}
}

// NewPager returns a Pager for the entities of table that q selects.
func (s *Service) NewPager(table string, q Query) *Pager {
	return &Pager{svc: s, table: table, q: q}
}

// More reports whether Next has a page to return.
func (p *Pager) More() bool { return !p.done }

// Next sends one request and returns its page. A service that returns a
// continuation it sent before is an error, never a loop.
func (p *Pager) Next(ctx context.Context) (Page, error) {
	page, cont, err := p.svc.queryPage(ctx, p.table, p.q, p.next)
	if err != nil {
		return Page{}, err
	}
	if !cont.set {
		p.done = true
		p.next = cont
		return page, nil
	}
	if p.seen == nil {
		p.seen = map[continuation]struct{}{}
	}
	if _, repeated := p.seen[cont]; repeated {
		p.done = true
		return Page{}, fmt.Errorf("query table %q: %w (NextPartitionKey %q, NextRowKey %q), so paging on would never end; the service, or a proxy in front of it, is faulty",
			p.table, ErrRepeatedContinuation, cont.partitionKey, cont.rowKey)
	}
	p.seen[cont] = struct{}{}
	p.next = cont
	return page, nil
}

// Query pages through the entities of table that q selects and calls fn
// with each page, in the service's order (by PartitionKey, then RowKey).
// It stops at the first error from fn or from the service. A service that
// returns a continuation it returned before is an error, never a loop.
func (s *Service) Query(ctx context.Context, table string, q Query, fn func(Page) error) error {
	pager := s.NewPager(table, q)
	for pager.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := pager.Next(ctx)
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) queryPage(ctx context.Context, table string, q Query, from continuation) (Page, continuation, error) {
	op := fmt.Sprintf("query table %q", table)
	query := url.Values{}
	top := q.Top
	if top <= 0 {
		top = PageSize
	}
	query.Set("$top", fmt.Sprint(top))
	if q.Filter != "" {
		query.Set("$filter", q.Filter)
	}
	if len(q.Select) > 0 {
		query.Set("$select", joinComma(q.Select))
	}
	if from.set {
		query.Set("NextPartitionKey", from.partitionKey)
		if from.rowKey != "" {
			query.Set("NextRowKey", from.rowKey)
		}
	}

	req, err := s.newRequest(ctx, http.MethodGet, escapeTable(s.TableName(table))+"()", query)
	if err != nil {
		return Page{}, continuation{}, err
	}
	resp, err := s.do(req, op, http.StatusOK)
	if err != nil {
		return Page{}, continuation{}, err
	}
	defer resp.Body.Close()

	p := Page{}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		p.Date = d.UTC()
	}
	p.Entities, err = decodeEntities(resp.Body)
	if err != nil {
		return Page{}, continuation{}, fmt.Errorf("%s: read response: %w", op, err)
	}
	pk, hasPK := resp.Header["X-Ms-Continuation-Nextpartitionkey"]
	rk, hasRK := resp.Header["X-Ms-Continuation-Nextrowkey"]
	cont := continuation{set: hasPK || hasRK}
	if len(pk) > 0 {
		cont.partitionKey = pk[0]
	}
	if len(rk) > 0 {
		cont.rowKey = rk[0]
	}
	return p, cont, nil
}

func joinComma(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
	}
	return b.String()
}

// escapeTable escapes a table name for a URL path. Valid names are letters
// and digits and need no escaping; this guards against invalid ones.
func escapeTable(name string) string {
	return url.PathEscape(name)
}

// decodeEntities reads a query response body, {"value":[...]} with OData
// control properties around it, and converts each entity object.
func decodeEntities(body io.Reader) ([]*entity.Entity, error) {
	dec := json.NewDecoder(body)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	var entities []*entity.Entity
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if tok != "value" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return nil, err
		}
		for dec.More() {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return nil, err
			}
			e, err := entity.FromService(raw)
			if err != nil {
				return nil, fmt.Errorf("entity %d of the page: %w", len(entities)+1, err)
			}
			entities = append(entities, e)
		}
		if err := expectDelim(dec, ']'); err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return entities, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("unexpected JSON %v, expected %q", tok, string(want))
	}
	return nil
}
