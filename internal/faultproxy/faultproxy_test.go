package faultproxy

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// upstream is a stand-in service that responds to every request with 200 and
// a body naming the request.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"request":%q,"body":%q}`, r.Method+" "+r.URL.RequestURI(), body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func startProxy(t *testing.T, rule Rule) *Proxy {
	t.Helper()
	p, err := Start(upstream(t).URL+"/devstoreaccount1", rule)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func send(client *http.Client, method, url, body string) (int, string, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b) + "|" + resp.Header.Get("x-ms-error-code"), err
}

func TestEachKind(t *testing.T) {
	tests := []struct {
		kind       Kind
		method     string
		path, body string
		wantStatus int
		wantErr    bool
		wantCode   string
	}{
		{ServerBusy, "GET", "/Users()", "", 503, false, "ServerBusy"},
		{OperationTimedOut, "GET", "/Users()", "", 500, false, "OperationTimedOut"},
		{TooManyRequests, "GET", "/Users()", "", 429, false, "TooManyRequests"},
		{TableBeingDeleted, "POST", "/Tables", `{"TableName":"Users"}`, 409, false, "TableBeingDeleted"},
		{ConnectionReset, "GET", "/Users()", "", 0, true, ""},
		{CutBody, "GET", "/Users()", "", 0, true, ""},
		{Slow, "GET", "/Users()", "", 0, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			p := startProxy(t, Rule{Kinds: []Kind{tt.kind}, Percent: 100, SlowDelay: time.Minute})
			client := &http.Client{Timeout: 300 * time.Millisecond}
			status, body, err := send(client, tt.method, p.Endpoint+tt.path, tt.body)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("status %d, body %q; want the request to fail", status, body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if !strings.Contains(body, `"odata.error"`) || !strings.HasSuffix(body, "|"+tt.wantCode) {
				t.Errorf("body and x-ms-error-code %q, want an odata.error and %s", body, tt.wantCode)
			}
			if got := p.Counts()[tt.kind]; got != 1 {
				t.Errorf("count of %s = %d, want 1", tt.kind, got)
			}
		})
	}
}

func TestTableBeingDeletedOnlyOnCreation(t *testing.T) {
	p := startProxy(t, Rule{Kinds: []Kind{TableBeingDeleted}, Percent: 100})
	status, body, err := send(http.DefaultClient, "GET", p.Endpoint+"/Users()", "")
	if err != nil || status != 200 {
		t.Fatalf("query = %d %q %v, want it forwarded", status, body, err)
	}
}

func TestTargetedRuleNamesTable(t *testing.T) {
	p := startProxy(t, Rule{Kinds: []Kind{ServerBusy}, Table: "Users"})
	requests := []struct {
		method, path, body string
		faulted            bool
	}{
		{"GET", "/users()", "", true},
		{"GET", "/Users(PartitionKey='a',RowKey='b')", "", true},
		{"DELETE", "/Tables('Users')", "", true},
		{"POST", "/Tables", `{"TableName":"Users"}`, true},
		{"POST", "/$batch", "--b\r\nPUT http://h/acct/Users(PartitionKey='a',RowKey='b') HTTP/1.1\r\n", true},
		{"GET", "/UsersArchive()", "", false},
		{"POST", "/$batch", "--b\r\nPUT http://h/acct/Grants(PartitionKey='Users',RowKey='b') HTTP/1.1\r\n", false},
		{"GET", "/Tables", "", false},
	}
	for _, r := range requests {
		status, _, err := send(http.DefaultClient, r.method, p.Endpoint+r.path, r.body)
		if err != nil {
			t.Fatal(err)
		}
		if got := status == 503; got != r.faulted {
			t.Errorf("%s %s: status %d, faulted = %v, want %v", r.method, r.path, status, got, r.faulted)
		}
	}
}

// faultedPaths sends n distinct queries through a proxy with the given
// seed and returns those that were faulted.
func faultedPaths(t *testing.T, seed uint64, n int) []string {
	p := startProxy(t, Rule{Kinds: []Kind{ServerBusy}, Percent: 20, Seed: seed})
	var faulted []string
	for i := 0; i < n; i++ {
		path := fmt.Sprintf("/T%d()", i)
		status, _, err := send(http.DefaultClient, "GET", p.Endpoint+path, "")
		if err != nil {
			t.Fatal(err)
		}
		if status == 503 {
			faulted = append(faulted, path)
		}
	}
	return faulted
}

func TestRandomRuleIsSeeded(t *testing.T) {
	a, b := faultedPaths(t, 7, 200), faultedPaths(t, 7, 200)
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("the same seed faulted different requests:\n%v\n%v", a, b)
	}
	if len(a) < 20 || len(a) > 60 {
		t.Errorf("%d of 200 requests faulted at 20%%, want about 40", len(a))
	}
	if c := faultedPaths(t, 8, 200); strings.Join(a, ",") == strings.Join(c, ",") {
		t.Error("seeds 7 and 8 faulted the same requests")
	}
}
