package tables

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/authagonal/authagonal-tables/entity"
)

// Limits of one entity group transaction.
const (
	// MaxBatchOperations is the most operations one batch may hold.
	MaxBatchOperations = 100
	// MaxBatchBytes is the largest batch request body the service accepts.
	MaxBatchBytes = 4 << 20
)

// Action is the kind of write one batch operation makes.
type Action int

// Batch actions. Upsert and Merge create the entity if it is missing.
const (
	// Upsert inserts the entity or replaces every property of an existing one.
	Upsert Action = iota
	// Merge inserts the entity or adds its properties to an existing one.
	Merge
	// Delete removes the entity whatever its etag.
	Delete
)

// Operation is one write in a batch.
type Operation struct {
	Action Action
	// Entity is the entity to write. For Delete only its keys are used.
	Entity *entity.Entity
}

// BatchError is a batch that the service rejected. The service applies a
// batch entirely or not at all, so no operation of it was applied.
type BatchError struct {
	ServiceError
	// Index is the position of the failing operation in the batch, or -1
	// when the service did not say which operation failed.
	Index int
}

// Batch is an encoded entity group transaction, ready to send. Every
// operation must share one PartitionKey.
type Batch struct {
	table    string
	boundary string
	change   string
	body     bytes.Buffer
	ops      int
}

// NewBatch starts an empty batch for table.
func NewBatch(table string) *Batch {
	b := &Batch{table: table, boundary: "batch_" + randomID(), change: "changeset_" + randomID()}
	fmt.Fprintf(&b.body, "--%s\r\nContent-Type: multipart/mixed; boundary=%s\r\n\r\n", b.boundary, b.change)
	return b
}

func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Len returns the number of operations in the batch.
func (b *Batch) Len() int { return b.ops }

// Size returns the size of the request body if it were sent now.
func (b *Batch) Size() int { return b.body.Len() + len(b.trailer()) }

func (b *Batch) trailer() string {
	return "--" + b.change + "--\r\n\r\n--" + b.boundary + "--\r\n"
}

// OperationSize returns how many bytes op adds to a batch body for
// endpoint. Callers use it to keep a batch under MaxBatchBytes.
func OperationSize(endpoint, table string, op Operation) int {
	var buf bytes.Buffer
	writeOperation(&buf, "x", endpoint, table, op)
	return buf.Len()
}

// Add appends op to the batch. The caller keeps the batch within the limits.
func (b *Batch) Add(endpoint string, op Operation) {
	writeOperation(&b.body, b.change, endpoint, b.table, op)
	b.ops++
}

func writeOperation(w *bytes.Buffer, change, endpoint, table string, op Operation) {
	e := op.Entity
	target := fmt.Sprintf("%s/%s(PartitionKey='%s',RowKey='%s')", endpoint, escapeTable(table), escapeKey(e.PartitionKey), escapeKey(e.RowKey))
	method := map[Action]string{Upsert: http.MethodPut, Merge: "MERGE", Delete: http.MethodDelete}[op.Action]

	fmt.Fprintf(w, "--%s\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n", change)
	fmt.Fprintf(w, "%s %s HTTP/1.1\r\n", method, target)
	w.WriteString("Accept: application/json;odata=minimalmetadata\r\nDataServiceVersion: 3.0\r\n")
	if op.Action == Delete {
		w.WriteString("If-Match: *\r\n\r\n")
		return
	}
	w.WriteString("Content-Type: application/json\r\nPrefer: return-no-content\r\n\r\n")
	w.Write(e.AppendWireBody(nil))
	w.WriteString("\r\n")
}

// escapeKey quotes a key for an OData key predicate: a single quote is
// doubled, then the whole value is escaped for a URL path.
func escapeKey(key string) string {
	return url.PathEscape(strings.ReplaceAll(key, "'", "''"))
}

// Encoded returns the Content-Type and the body of the batch request, for
// callers that send it by other means, such as a benchmark of the bare
// protocol.
func (b *Batch) Encoded() (contentType string, body []byte) {
	body = append(b.body.Bytes()[:b.body.Len():b.body.Len()], b.trailer()...)
	return "multipart/mixed; boundary=" + b.boundary, body
}

// SubmitBatch sends the batch. It returns a *BatchError if the service
// rejected it, and another error if it could not be sent.
func (s *Service) SubmitBatch(ctx context.Context, b *Batch) error {
	op := fmt.Sprintf("write batch of %d to table %q", b.ops, b.table)
	body := append(b.body.Bytes()[:b.body.Len():b.body.Len()], b.trailer()...)

	req, err := s.newRequest(withRequestBody(ctx, body), http.MethodPost, "$batch", nil)
	if err != nil {
		return err
	}
	if err := req.SetBody(readSeekNopCloser{bytes.NewReader(body)}, "multipart/mixed; boundary="+b.boundary); err != nil {
		return err
	}
	resp, err := s.do(req, op, http.StatusAccepted)
	if err != nil {
		if se, ok := err.(*ServiceError); ok {
			return &BatchError{ServiceError: *se, Index: -1}
		}
		return err
	}
	defer resp.Body.Close()
	return parseBatchResponse(op, resp)
}

type readSeekNopCloser struct{ *bytes.Reader }

func (readSeekNopCloser) Close() error { return nil }

// parseBatchResponse reads the multipart response of a batch and returns
// the first failed operation as a *BatchError.
func parseBatchResponse(op string, resp *http.Response) error {
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return fmt.Errorf("%s: response is not multipart: %q", op, resp.Header.Get("Content-Type"))
	}
	outer := multipart.NewReader(resp.Body, params["boundary"])
	for {
		part, err := outer.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read response: %w", op, err)
		}
		_, pparams, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		if pparams["boundary"] != "" {
			if err := parseChangeset(op, part, pparams["boundary"]); err != nil {
				return err
			}
			continue
		}
		if err := parseOperationResponse(op, part); err != nil {
			return err
		}
	}
}

func parseChangeset(op string, r io.Reader, boundary string) error {
	inner := multipart.NewReader(r, boundary)
	for {
		part, err := inner.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: read response: %w", op, err)
		}
		if err := parseOperationResponse(op, part); err != nil {
			return err
		}
	}
}

// parseOperationResponse reads one application/http part. The service
// prefixes the message of a failed operation with its index, as in
// "99:The property value exceeds the maximum allowed size (64KB).".
func parseOperationResponse(op string, part io.Reader) error {
	resp, err := http.ReadResponse(bufio.NewReader(part), nil)
	if err != nil {
		return fmt.Errorf("%s: read operation response: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 400 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	se := newServiceError(op, resp.StatusCode, body)
	be := &BatchError{ServiceError: *se, Index: -1}
	if idx, msg, ok := strings.Cut(se.Message, ":"); ok {
		if n, err := strconv.Atoi(idx); err == nil && n >= 0 {
			be.Index = n
			be.Message = strings.TrimSpace(msg)
		}
	}
	return be
}

func (e *BatchError) Error() string {
	if e.Index >= 0 {
		return fmt.Sprintf("%s (operation %d)", e.ServiceError.Error(), e.Index)
	}
	return e.ServiceError.Error()
}
