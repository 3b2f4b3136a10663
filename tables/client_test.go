package tables

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
)

// fakeService starts a loopback HTTP server with handler and returns a
// Service for it that does not retry.
func fakeService(t *testing.T, handler http.HandlerFunc) *Service {
	t.Helper()
	return serviceFor(t, handler, Options{MaxRetries: -1, TryTimeout: 5 * time.Second})
}

// serviceFor starts a loopback HTTP server with handler and returns a
// Service for it with opts.
func serviceFor(t *testing.T, handler http.HandlerFunc, opts Options) *Service {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	account, err := ParseConnectionString("AccountName=devstoreaccount1;AccountKey=" + DevAccountKey + ";TableEndpoint=" + srv.URL + "/devstoreaccount1")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Connect(account, opts)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func page(keys ...string) string {
	var values []string
	for _, k := range keys {
		values = append(values, fmt.Sprintf(`{"odata.etag":"W/\"x\"","PartitionKey":"%s","RowKey":"r","Timestamp":"2026-01-01T00:00:00.0000000Z"}`, k))
	}
	return `{"odata.metadata":"m","value":[` + strings.Join(values, ",") + `]}`
}

func collect(t *testing.T, svc *Service) ([]string, error) {
	t.Helper()
	var keys []string
	err := svc.Query(context.Background(), "Users", Query{}, func(p Page) error {
		for _, e := range p.Entities {
			keys = append(keys, e.PartitionKey)
		}
		return nil
	})
	return keys, err
}

func TestQueryRepeatedContinuationStops(t *testing.T) {
	var requests atomic.Int32
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 100 {
			t.Error("the client kept paging past 100 requests")
			http.Error(w, "stop", http.StatusInternalServerError)
			return
		}
		w.Header().Set("x-ms-continuation-NextPartitionKey", "same")
		w.Header().Set("x-ms-continuation-NextRowKey", "same")
		fmt.Fprint(w, page("a"))
	})
	_, err := collect(t, svc)
	if err == nil || !strings.Contains(err.Error(), "same") {
		t.Fatalf("err = %v, want an error about the repeated continuation", err)
	}
	if n := requests.Load(); n > 3 {
		t.Errorf("%d requests before stopping, want at most 3", n)
	}
}

func TestQueryFollowsEveryContinuation(t *testing.T) {
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Get("NextPartitionKey") == "" && q.Get("NextRowKey") == "":
			// The first page is empty but has a continuation.
			w.Header().Set("x-ms-continuation-NextPartitionKey", "b")
			fmt.Fprint(w, page())
		case q.Get("NextPartitionKey") == "b" && q.Get("NextRowKey") == "":
			// A continuation with only a partition key.
			w.Header().Set("x-ms-continuation-NextPartitionKey", "c")
			w.Header().Set("x-ms-continuation-NextRowKey", "r1")
			fmt.Fprint(w, page("b"))
		case q.Get("NextPartitionKey") == "c" && q.Get("NextRowKey") == "r1":
			fmt.Fprint(w, page("c", "d"))
		default:
			t.Errorf("unexpected query %s", r.URL.RawQuery)
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	})
	keys, err := collect(t, svc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "b,c,d" {
		t.Errorf("keys = %v, want b,c,d", keys)
	}
}

func TestQueryServiceError(t *testing.T) {
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"odata.error":{"code":"TableNotFound","message":{"lang":"en-US","value":"The table specified does not exist.\nRequestId:1"}}}`)
	})
	_, err := collect(t, svc)
	var se *ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *ServiceError", err)
	}
	if se.Code != "TableNotFound" || se.StatusCode != 404 || se.Message != "The table specified does not exist." {
		t.Errorf("ServiceError = %+v", se)
	}
}

func TestQueryTruncatedBody(t *testing.T) {
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		body := page("a", "b")
		fmt.Fprint(w, body[:len(body)-20])
	})
	if _, err := collect(t, svc); err == nil {
		t.Fatal("a cut response body was accepted")
	}
}

func TestQueryUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	account, err := ParseConnectionString("AccountName=acct;SharedAccessSignature=sv=1&sig=SECRETSIGNATURE123;TableEndpoint=" + url + "/acct")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := Connect(account, Options{MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = collect(t, svc)
	var se *ServiceError
	if !errors.As(err, &se) || !se.Unreachable {
		t.Fatalf("err = %v, want an unreachable *ServiceError", err)
	}
	if strings.Contains(err.Error(), "SECRETSIGNATURE123") {
		t.Errorf("error contains the SAS signature: %v", err)
	}
}

func batchResponse(status, body string) string {
	return "--batchresponse_1\r\n" +
		"Content-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n" +
		"--changesetresponse_2\r\n" +
		"Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n" +
		"HTTP/1.1 " + status + "\r\nContent-Type: application/json;odata=minimalmetadata\r\n\r\n" + body + "\r\n" +
		"--changesetresponse_2--\r\n" +
		"--batchresponse_1--\r\n"
}

func TestSubmitBatchResponses(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		ctype     string
		body      string
		wantErr   bool
		wantIndex int
		wantCode  string
	}{
		{"success", 202, "multipart/mixed; boundary=batchresponse_1", batchResponse("204 No Content", ""), false, 0, ""},
		{"failed operation", 202, "multipart/mixed; boundary=batchresponse_1",
			batchResponse("400 Bad Request", `{"odata.error":{"code":"PropertyValueTooLarge","message":{"lang":"en-US","value":"3:The property value exceeds the maximum allowed size (64KB)."}}}`),
			true, 3, "PropertyValueTooLarge"},
		{"failure without index", 202, "multipart/mixed; boundary=batchresponse_1",
			batchResponse("400 Bad Request", `{"odata.error":{"code":"InvalidInput","message":{"lang":"en-US","value":"Bad request."}}}`),
			true, -1, "InvalidInput"},
		{"whole batch rejected", 413, "application/json",
			`{"odata.error":{"code":"RequestBodyTooLarge","message":{"lang":"en-US","value":"The request body is too large."}}}`,
			true, -1, "RequestBodyTooLarge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotBody string
			svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/$batch") {
					t.Errorf("request %s %s, want POST .../$batch", r.Method, r.URL.Path)
				}
				body, err := io.ReadAll(r.Body)
				if err != nil {
					t.Error(err)
				}
				gotBody = string(body)
				w.Header().Set("Content-Type", tt.ctype)
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			e, err := entity.Parse([]byte(`{"PartitionKey":"it's","RowKey":"a b","V":"x"}`))
			if err != nil {
				t.Fatal(err)
			}
			b := NewBatch("Users")
			b.Add(svc.Account().Endpoint, Operation{Action: Merge, Entity: e})
			err = svc.SubmitBatch(context.Background(), b)

			if !strings.Contains(gotBody, "MERGE "+svc.Account().Endpoint+"/Users(PartitionKey='it%27%27s',RowKey='a%20b') HTTP/1.1") {
				t.Errorf("batch body lacks the MERGE line:\n%s", gotBody)
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var be *BatchError
			if !errors.As(err, &be) {
				t.Fatalf("err = %v, want a *BatchError", err)
			}
			if be.Index != tt.wantIndex {
				t.Errorf("Index = %d, want %d", be.Index, tt.wantIndex)
			}
			if be.Code != tt.wantCode {
				t.Errorf("Code = %q, want %q", be.Code, tt.wantCode)
			}
		})
	}
}
