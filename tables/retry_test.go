package tables

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
)

// retryingService starts a loopback HTTP server with handler and returns a
// Service for it that retries up to three times with millisecond delays.
func retryingService(t *testing.T, handler http.HandlerFunc) *Service {
	t.Helper()
	return serviceFor(t, handler, Options{MaxRetries: 3, RetryDelay: time.Millisecond, MaxRetryDelay: 10 * time.Millisecond, TryTimeout: 5 * time.Second})
}

// writeCut sends a response whose header promises more body than follows,
// then closes the connection, as a network failure mid-body does.
func writeCut(t *testing.T, w http.ResponseWriter, contentType, body string) {
	t.Helper()
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d Accepted\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s", http.StatusAccepted, contentType, len(body), body[:len(body)/2])
	buf.Flush()
}

func TestCreateTableRetriesTableBeingDeleted(t *testing.T) {
	var tries atomic.Int32
	svc := retryingService(t, func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) <= 2 {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("x-ms-error-code", codeTableBeingDeleted)
			w.WriteHeader(http.StatusConflict)
			fmt.Fprint(w, `{"odata.error":{"code":"TableBeingDeleted","message":{"lang":"en-US","value":"The specified table is being deleted."}}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNoContent)
	})
	if err := svc.CreateTable(context.Background(), "Users"); err != nil {
		t.Fatalf("CreateTable = %v, want success once the deletion is over", err)
	}
	if n := tries.Load(); n != 3 {
		t.Errorf("%d tries, want 3", n)
	}
}

func TestCreateTableBeingDeletedHint(t *testing.T) {
	svc := retryingService(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("x-ms-error-code", codeTableBeingDeleted)
		w.WriteHeader(http.StatusConflict)
		fmt.Fprint(w, `{"odata.error":{"code":"TableBeingDeleted","message":{"lang":"en-US","value":"The specified table is being deleted."}}}`)
	})
	err := svc.CreateTable(context.Background(), "Users")
	if !IsCode(err, codeTableBeingDeleted) {
		t.Fatalf("err = %v, want code %s", err, codeTableBeingDeleted)
	}
	if !strings.Contains(err.Error(), "run again in a minute") {
		t.Errorf("err = %v, want advice to run again", err)
	}
}

func TestLongRetryAfterIsCapped(t *testing.T) {
	var tries atomic.Int32
	svc := retryingService(t, func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.Header().Set("x-ms-error-code", "ServerBusy")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"odata.error":{"code":"ServerBusy","message":{"lang":"en-US","value":"The server is busy."}}}`)
			return
		}
		fmt.Fprint(w, page("a"))
	})
	start := time.Now()
	keys, err := collect(t, svc)
	if err != nil {
		t.Fatalf("query = %v, want a retry after the capped wait", err)
	}
	if len(keys) != 1 {
		t.Errorf("keys = %v, want [a]", keys)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the query took %s; the Retry-After of an hour was not capped at the 10ms maximum delay", d)
	}
}

func TestRetryAfterHeaders(t *testing.T) {
	tests := []struct {
		header, value string
		want          time.Duration
	}{
		{"Retry-After", "2", 2 * time.Second},
		{"retry-after-ms", "150", 150 * time.Millisecond},
		{"x-ms-retry-after-ms", "70", 70 * time.Millisecond},
		{"Retry-After", "soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set(tt.header, tt.value)
		if got := retryAfter(h); got != tt.want {
			t.Errorf("retryAfter(%s: %s) = %s, want %s", tt.header, tt.value, got, tt.want)
		}
	}
}

func TestCutBatchResponseIsRetried(t *testing.T) {
	var tries atomic.Int32
	body := batchResponse("204 No Content", "")
	const ctype = "multipart/mixed; boundary=batchresponse_1"
	svc := retryingService(t, func(w http.ResponseWriter, r *http.Request) {
		if tries.Add(1) == 1 {
			writeCut(t, w, ctype, body)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprint(w, body)
	})
	e, err := entity.Parse([]byte(`{"PartitionKey":"p","RowKey":"r"}`))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch("Users")
	b.Add(svc.Account().Endpoint, Operation{Action: Upsert, Entity: e})
	if err := svc.SubmitBatch(context.Background(), b); err != nil {
		t.Fatalf("SubmitBatch = %v, want success on the second try", err)
	}
	if n := tries.Load(); n != 2 {
		t.Errorf("%d tries, want 2", n)
	}
}

func TestCutBatchResponseEveryTry(t *testing.T) {
	svc := retryingService(t, func(w http.ResponseWriter, r *http.Request) {
		writeCut(t, w, "multipart/mixed; boundary=batchresponse_1", batchResponse("204 No Content", ""))
	})
	e, err := entity.Parse([]byte(`{"PartitionKey":"p","RowKey":"r"}`))
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch("Users")
	b.Add(svc.Account().Endpoint, Operation{Action: Upsert, Entity: e})
	err = svc.SubmitBatch(context.Background(), b)
	var be *BatchError
	if !errors.As(err, &be) || !be.Unreachable {
		t.Fatalf("err = %v, want an unreachable *BatchError", err)
	}
	if !strings.Contains(err.Error(), "cut off") {
		t.Errorf("err = %v, want it to say the response was cut off", err)
	}
}

func TestQueryContinuationCycleStops(t *testing.T) {
	var requests atomic.Int32
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 100 {
			t.Error("the client kept paging past 100 requests")
			http.Error(w, "stop", http.StatusInternalServerError)
			return
		}
		// Two continuations that lead to each other.
		next := "a"
		if r.URL.Query().Get("NextPartitionKey") == "a" {
			next = "b"
		}
		w.Header().Set("x-ms-continuation-NextPartitionKey", next)
		fmt.Fprint(w, page())
	})
	_, err := collect(t, svc)
	if !errors.Is(err, ErrRepeatedContinuation) {
		t.Fatalf("err = %v, want ErrRepeatedContinuation", err)
	}
	if n := requests.Load(); n != 3 {
		t.Errorf("%d requests before stopping, want 3", n)
	}
}

func TestListTablesRepeatedContinuationStops(t *testing.T) {
	var requests atomic.Int32
	svc := fakeService(t, func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) > 100 {
			t.Error("the client kept paging past 100 requests")
			http.Error(w, "stop", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json;odata=minimalmetadata")
		w.Header().Set("x-ms-continuation-NextTableName", "same")
		fmt.Fprint(w, `{"value":[{"TableName":"Users"}]}`)
	})
	_, err := svc.ListTables(context.Background())
	if !errors.Is(err, ErrRepeatedContinuation) {
		t.Fatalf("err = %v, want ErrRepeatedContinuation", err)
	}
	if n := requests.Load(); n > 3 {
		t.Errorf("%d requests before stopping, want at most 3", n)
	}
}
