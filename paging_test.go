package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// Paging behaviours of fakeTableService.
const (
	// pagingNormal pages by fakePageSize entities with both keys in the
	// continuation.
	pagingNormal = "normal"
	// pagingRepeat returns the same continuation forever.
	pagingRepeat = "repeat"
	// pagingRepeatFiltered pages normally without a $filter and returns
	// the same continuation forever with one, as in a key range scan.
	pagingRepeatFiltered = "repeat-filtered"
	// pagingPartitionOnly returns two whole partitions per page and a
	// continuation with NextPartitionKey only.
	pagingPartitionOnly = "partition-only"
	// pagingEmptyPages returns an empty page with a continuation before
	// every page of entities.
	pagingEmptyPages = "empty-pages"
	// pagingRepeatTables lists the tables with the same NextTableName
	// forever.
	pagingRepeatTables = "repeat-tables"
)

const (
	fakeTable    = "Paged"
	fakePageSize = 4
	// fakeRequestLimit stops a client that pages forever, so that a
	// failing test ends instead of hanging.
	fakeRequestLimit = 2000
)

// fakeKeys are the keys of the fake table in order: 30 partitions of 3
// rows.
func fakeKeys() [][2]string {
	var keys [][2]string
	for p := 0; p < 30; p++ {
		for r := 0; r < 3; r++ {
			keys = append(keys, [2]string{fmt.Sprintf("p%02d", p), fmt.Sprintf("r%d", r)})
		}
	}
	return keys
}

// The $filter forms a backup sends: the keys after a key, and a range of
// PartitionKeys.
var (
	afterFilter = regexp.MustCompile(`\(\(PartitionKey eq '([^']*)' and RowKey gt '([^']*)'\) or PartitionKey gt '[^']*'\)`)
	fromFilter  = regexp.MustCompile(`PartitionKey ge '([^']*)'`)
	toFilter    = regexp.MustCompile(`PartitionKey lt '([^']*)'`)
)

func keyLess(a, b [2]string) bool {
	if a[0] != b[0] {
		return a[0] < b[0]
	}
	return a[1] < b[1]
}

// applyFilter returns the keys that filter selects.
func applyFilter(keys [][2]string, filter string) [][2]string {
	var out [][2]string
	for _, k := range keys {
		if m := afterFilter.FindStringSubmatch(filter); m != nil && !keyLess([2]string{m[1], m[2]}, k) {
			continue
		}
		if m := fromFilter.FindStringSubmatch(filter); m != nil && k[0] < m[1] {
			continue
		}
		if m := toFilter.FindStringSubmatch(filter); m != nil && k[0] >= m[1] {
			continue
		}
		out = append(out, k)
	}
	return out
}

// fakeTableService starts a Table service that contains one table. It
// implements just enough of the REST API for backup and restore to page
// through the table, and pages as mode selects.
func fakeTableService(t *testing.T, mode string) string {
	t.Helper()
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > fakeRequestLimit {
			t.Errorf("more than %d requests: the client pages forever", fakeRequestLimit)
			http.Error(w, "too many requests", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json;odata=fullmetadata;streaming=true;charset=utf-8")
		path := strings.TrimPrefix(r.URL.Path, "/"+tables.DevAccountName)
		switch {
		case path == "/Tables" && r.Method == http.MethodGet:
			if mode == pagingRepeatTables {
				w.Header().Set("x-ms-continuation-NextTableName", "same")
			}
			fmt.Fprintf(w, `{"value":[{"TableName":%q}]}`, fakeTable)
		case path == "/Tables" && r.Method == http.MethodPost:
			w.WriteHeader(http.StatusNoContent)
		case path == "/"+fakeTable+"()" && r.Method == http.MethodGet:
			servePage(w, r, mode)
		case path == "/$batch" && r.Method == http.MethodPost:
			// A clean restore deletes the entities of each page while it
			// pages on; every batch succeeds.
			w.Header().Set("Content-Type", "multipart/mixed; boundary=batchresponse_1")
			w.WriteHeader(http.StatusAccepted)
			fmt.Fprint(w, "--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_1\r\n\r\n"+
				"--changesetresponse_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"+
				"HTTP/1.1 204 No Content\r\n\r\n\r\n--changesetresponse_1--\r\n--batchresponse_1--\r\n")
		default:
			t.Errorf("unexpected request %s %s", r.Method, r.URL)
			http.Error(w, "unexpected request", http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;TableEndpoint=%s/%s",
		tables.DevAccountName, tables.DevAccountKey, srv.URL, tables.DevAccountName)
}

// servePage responds to one query. A continuation is the key the next page
// starts at; in pagingEmptyPages a "!" before it means that the empty page
// before it was sent.
func servePage(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	filter := q.Get("$filter")
	keys := applyFilter(fakeKeys(), filter)
	if mode == pagingRepeat || (mode == pagingRepeatFiltered && filter != "") {
		w.Header().Set("x-ms-continuation-NextPartitionKey", "same")
		w.Header().Set("x-ms-continuation-NextRowKey", "same")
		writeEntities(w, keys[:min(len(keys), fakePageSize)])
		return
	}

	npk, hasToken := q.Get("NextPartitionKey"), q.Has("NextPartitionKey")
	emptySent := strings.HasPrefix(npk, "!")
	from := [2]string{strings.TrimPrefix(npk, "!"), q.Get("NextRowKey")}
	start := 0
	if hasToken {
		start = sort.Search(len(keys), func(i int) bool { return !keyLess(keys[i], from) })
	}
	rest := keys[start:]
	if mode == pagingEmptyPages && !emptySent && len(rest) > 0 {
		w.Header().Set("x-ms-continuation-NextPartitionKey", "!"+rest[0][0])
		w.Header().Set("x-ms-continuation-NextRowKey", rest[0][1])
		writeEntities(w, nil)
		return
	}

	n := min(len(rest), fakePageSize)
	if mode == pagingPartitionOnly {
		// Two whole partitions, so that the next page starts at the first
		// row of a partition.
		n = 0
		for partitions := 0; n < len(rest) && partitions < 2; partitions++ {
			pk := rest[n][0]
			for n < len(rest) && rest[n][0] == pk {
				n++
			}
		}
	}
	page, next := rest[:n], rest[n:]
	if len(next) > 0 {
		w.Header().Set("x-ms-continuation-NextPartitionKey", next[0][0])
		if mode != pagingPartitionOnly {
			w.Header().Set("x-ms-continuation-NextRowKey", next[0][1])
		}
	}
	writeEntities(w, page)
}

func writeEntities(w http.ResponseWriter, keys [][2]string) {
	values := make([]string, len(keys))
	for i, k := range keys {
		values[i] = fmt.Sprintf(`{"odata.etag":"W/\"datetime'2026-12-04T02%%3A00%%3A00.0000000Z'\"","PartitionKey":%q,"RowKey":%q,`+
			`"Timestamp@odata.type":"Edm.DateTime","Timestamp":"2026-12-04T02:00:00.0000000Z","Value":"%s/%s"}`, k[0], k[1], k[0], k[1])
	}
	fmt.Fprintf(w, `{"odata.metadata":"m","value":[%s]}`, strings.Join(values, ","))
}

// fakeBackup backs up the fake table and returns the backup folder.
func fakeBackup(t *testing.T, conn string) string {
	t.Helper()
	out := t.TempDir()
	args := append([]string{"backup", "--connection-string", conn, "--tables", fakeTable, "--output", out}, fastRetries...)
	wantCode(t, runCLI(t, args...), 0)
	return onlyBackup(t, out)
}

func TestPagingReadsEveryEntity(t *testing.T) {
	var want []string
	for _, k := range fakeKeys() {
		want = append(want, k[0]+"/"+k[1])
	}
	for _, mode := range []string{pagingNormal, pagingPartitionOnly, pagingEmptyPages} {
		t.Run(mode, func(t *testing.T) {
			dir := fakeBackup(t, fakeTableService(t, mode))
			m, err := manifest.Read(dir)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, line := range dataLines(t, dir, m.Tables[fakeTable].File) {
				var e struct{ PartitionKey, RowKey string }
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatal(err)
				}
				got = append(got, e.PartitionKey+"/"+e.RowKey)
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("backup holds\n%v\nwant\n%v", got, want)
			}
		})
	}
}

func TestPagingRepeatedContinuationExitsOne(t *testing.T) {
	// A backup folder to restore, taken from a fake that pages normally.
	input := fakeBackup(t, fakeTableService(t, pagingNormal))
	runs := []struct {
		name, mode string
		args       []string
	}{
		{"backup", pagingRepeat, []string{"backup", "--tables", fakeTable, "--output", t.TempDir()}},
		{"backup key ranges", pagingRepeatFiltered, []string{"backup", "--tables", fakeTable, "--output", t.TempDir()}},
		{"backup table list", pagingRepeatTables, []string{"backup", "--tables", fakeTable, "--output", t.TempDir()}},
		{"restore clean", pagingRepeat, []string{"restore", "--input", input, "--mode", "clean"}},
		{"restore dry run count", pagingRepeat, []string{"restore", "--input", input, "--mode", "clean", "--dry-run"}},
		{"restore dry run table list", pagingRepeatTables, []string{"restore", "--input", input, "--dry-run"}},
	}
	for _, run := range runs {
		t.Run(run.name, func(t *testing.T) {
			args := append(append(run.args, "--connection-string", fakeTableService(t, run.mode)), fastRetries...)
			r := runCLI(t, args...)
			wantCode(t, r, 1)
			if !strings.Contains(r.stderr, "returned a continuation it had returned before") {
				t.Errorf("stderr does not name the repeated continuation:\n%s", r.stderr)
			}
		})
	}
}
