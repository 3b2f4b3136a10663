package tables

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// codeTableBeingDeleted is the error code of a table creation that the
// service rejects because a table of the same name is still being
// deleted. Azure documents that a deletion takes at least 40 seconds.
const codeTableBeingDeleted = "TableBeingDeleted"

// shouldRetry decides, in place of the azcore default, whether a failed try
// is retried: every transport error, the statuses azcore retries, and a
// conflict with a table that is still being deleted, which clears by
// itself. azcore checks cancellation and non-retriable errors first.
func shouldRetry(resp *http.Response, err error) bool {
	if err != nil {
		return true
	}
	return isRetriedResponse(resp)
}

// isRetriedResponse reports whether a response is one that shouldRetry
// retries.
func isRetriedResponse(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return resp.Header.Get("x-ms-error-code") == codeTableBeingDeleted
	}
	return false
}

// retryCutResponses makes a response whose body was cut off retriable.
// azcore reads the body of every response inside its retry loop, but it
// retries a cut body only for GET, PUT and DELETE, so a batch or a table
// creation whose response broke off would fail at once. Every request this
// package sends may be sent again: a batch upserts, merges or deletes by
// key. A second creation of a table finds it exists, and a second delete
// of an entity reports it absent, which restore counts as such.
type retryCutResponses struct{}

// nonRetriable is the marker azcore puts on errors it must not retry.
type nonRetriable interface{ NonRetriable() }

func (retryCutResponses) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	var nre nonRetriable
	if err == nil || resp == nil || !errors.As(err, &nre) {
		return resp, err
	}
	// Only the body download policy returns a response with a
	// non-retriable error; its cause is the read error itself.
	cause := errors.Unwrap(err)
	if cause == nil {
		return resp, err
	}
	return resp, fmt.Errorf("response body cut off: %w", cause)
}

// capRetryAfter shortens a Retry-After longer than the maximum retry delay
// to that maximum. azcore gives up at once on a longer one, but a service
// that is busy for a minute is worth retrying, and --max-retry-delay is
// the operator's bound on any one wait.
type capRetryAfter struct {
	max time.Duration
}

func (p capRetryAfter) Do(req *policy.Request) (*http.Response, error) {
	resp, err := req.Next()
	if resp == nil || retryAfter(resp.Header) <= p.max {
		return resp, err
	}
	h := resp.Header
	h.Del("Retry-After")
	h.Del("x-ms-retry-after-ms")
	// retry-after-ms is the header azcore reads first.
	h.Set("retry-after-ms", strconv.FormatInt(p.max.Milliseconds(), 10))
	return resp, err
}

// retryAfter returns the wait a response requests, from the headers azcore
// reads: retry-after-ms, x-ms-retry-after-ms, or Retry-After in seconds or
// as an HTTP date. It returns 0 when none is set.
func retryAfter(h http.Header) time.Duration {
	for _, name := range []string{"retry-after-ms", "x-ms-retry-after-ms"} {
		if ms, err := strconv.ParseInt(h.Get(name), 10, 64); err == nil && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	v := h.Get("Retry-After")
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// requestBodyKey is the context key of a request body that freshBody
// sends from a reader of its own on every try.
type requestBodyKey struct{}

// withRequestBody returns ctx carrying body for freshBody.
func withRequestBody(ctx context.Context, body []byte) context.Context {
	return context.WithValue(ctx, requestBodyKey{}, body)
}

// freshBody gives each try of a request its own reader of the body.
// net/http may still read the body of a failed try after the try returned,
// as when the service closed the connection before the body was sent.
// Meanwhile azcore rewinds the reader for the next try, so a shared reader
// is a data race.
type freshBody struct{}

func (freshBody) Do(req *policy.Request) (*http.Response, error) {
	if body, ok := req.Raw().Context().Value(requestBodyKey{}).([]byte); ok {
		req.Raw().Body = io.NopCloser(bytes.NewReader(body))
	}
	return req.Next()
}
