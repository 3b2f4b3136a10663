package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/authagonal/authagonal-tables/backup"
	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/tables"
)

// client sends the plain HTTP requests of the bare limits, with enough
// idle connections for any concurrency the benchmark uses.
var client = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}}

func send(req *http.Request) (*http.Response, error) {
	if err := azurite.Sign(req); err != nil {
		return nil, err
	}
	return client.Do(req)
}

// getPage sends one query request. With decode it returns the keys of the
// page's entities; otherwise it discards the body.
func getPage(ctx context.Context, endpoint, table, filter string, next [2]string, decode bool) (keys []entity.Key, cont [2]string, err error) {
	q := url.Values{"$top": {fmt.Sprint(tables.PageSize)}}
	if filter != "" {
		q.Set("$filter", filter)
	}
	if next[0] != "" {
		q.Set("NextPartitionKey", next[0])
	}
	if next[1] != "" {
		q.Set("NextRowKey", next[1])
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/"+table+"()?"+q.Encode(), nil)
	if err != nil {
		return nil, cont, err
	}
	resp, err := send(req)
	if err != nil {
		return nil, cont, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, cont, fmt.Errorf("query %s: HTTP %d: %s", table, resp.StatusCode, body)
	}
	cont = [2]string{resp.Header.Get("x-ms-continuation-NextPartitionKey"), resp.Header.Get("x-ms-continuation-NextRowKey")}
	if !decode {
		_, err = io.Copy(io.Discard, resp.Body)
		return nil, cont, err
	}
	var page struct {
		Value []struct{ PartitionKey, RowKey string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return nil, cont, err
	}
	for _, v := range page.Value {
		keys = append(keys, entity.Key{PartitionKey: v.PartitionKey, RowKey: v.RowKey})
	}
	return keys, cont, nil
}

// scanAll pages through one filter to its end, bodies discarded, each
// request taking a slot.
func scanAll(ctx context.Context, endpoint, table, filter string, slots chan struct{}) error {
	var next [2]string
	for {
		slots <- struct{}{}
		_, cont, err := getPage(ctx, endpoint, table, filter, next, false)
		<-slots
		if err != nil {
			return err
		}
		if cont == ([2]string{}) {
			return nil
		}
		next = cont
	}
}

// bareRead reads every table as backup does, with plain requests: tables
// side by side, and after a first page the tool's key ranges, with at
// most parallel requests in flight.
func bareRead(ctx context.Context, endpoint string, names []string, parallel int) error {
	slots := make(chan struct{}, parallel)
	tablesAtOnce := make(chan struct{}, parallel)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for _, name := range names {
		tablesAtOnce <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-tablesAtOnce; wg.Done() }()
			errs <- bareReadTable(ctx, endpoint, name, slots)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func bareReadTable(ctx context.Context, endpoint, table string, slots chan struct{}) error {
	var next [2]string
	var last *entity.Key
	for last == nil {
		slots <- struct{}{}
		keys, cont, err := getPage(ctx, endpoint, table, "", next, true)
		<-slots
		if err != nil {
			return err
		}
		if cont == ([2]string{}) {
			return nil
		}
		if len(keys) > 0 {
			last = &keys[len(keys)-1]
		}
		next = cont
	}
	var wg sync.WaitGroup
	filters := backup.RangeFilters(*last)
	errs := make(chan error, len(filters))
	for _, f := range filters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- scanAll(ctx, endpoint, table, f, slots)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// originalRead reads as the original tools do: one sequential scan per
// table, tables one after another.
func originalRead(ctx context.Context, endpoint string, names []string) error {
	slots := make(chan struct{}, 1)
	for _, name := range names {
		if err := scanAll(ctx, endpoint, name, "", slots); err != nil {
			return err
		}
	}
	return nil
}

// encoded is a batch ready to send.
type encoded struct {
	contentType string
	body        []byte
}

func encode(list []*tables.Batch) []encoded {
	out := make([]encoded, len(list))
	for i, b := range list {
		out[i].contentType, out[i].body = b.Encoded()
	}
	return out
}

// bareWrite sends the encoded batches with plain requests, at most
// parallel at once.
func bareWrite(ctx context.Context, endpoint string, list []encoded, parallel int) error {
	jobs := make(chan encoded)
	errs := make(chan error, parallel)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range jobs {
				if err := postBatch(ctx, endpoint, b); err != nil {
					errs <- err
					for range jobs {
					}
					return
				}
			}
		}()
	}
	for _, b := range list {
		jobs <- b
	}
	close(jobs)
	wg.Wait()
	close(errs)
	return <-errs
}

func postBatch(ctx context.Context, endpoint string, b encoded) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+"/$batch", bytes.NewReader(b.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", b.contentType)
	resp, err := send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted || bytes.Contains(body, []byte("odata.error")) {
		return fmt.Errorf("batch: HTTP %d: %.300s", resp.StatusCode, body)
	}
	return nil
}

// originalWrite restores as the original tools do: one upsert request per
// entity, tables one after another. It writes the first n entities.
func originalWrite(ctx context.Context, endpoint string, set *dataSet, n int) (int, error) {
	written := 0
	for _, name := range set.tables {
		for _, e := range set.entities[name] {
			if written == n {
				return written, nil
			}
			path := fmt.Sprintf("%s/%s(PartitionKey='%s',RowKey='%s')", endpoint, name,
				url.PathEscape(strings.ReplaceAll(e.PartitionKey, "'", "''")), url.PathEscape(strings.ReplaceAll(e.RowKey, "'", "''")))
			req, err := http.NewRequestWithContext(ctx, http.MethodPut, path, bytes.NewReader(e.AppendWireBody(nil)))
			if err != nil {
				return written, err
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := send(req)
			if err != nil {
				return written, err
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				return written, fmt.Errorf("upsert %s %s: HTTP %d: %.300s", name, e.Key(), resp.StatusCode, body)
			}
			written++
		}
	}
	return written, nil
}
