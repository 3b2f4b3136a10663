package tables

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/rs/zerolog"
)

// apiVersion is the Table service REST version this client speaks.
const apiVersion = "2019-02-02"

// Options tune the HTTP client. The zero value uses the defaults.
type Options struct {
	// MaxRetries is the number of retries after a failed try of one
	// request. Zero means DefaultMaxRetries; a negative value disables
	// retries.
	MaxRetries int
	// TryTimeout bounds one try of one request. Zero means DefaultTryTimeout.
	TryTimeout time.Duration
	// RetryDelay is the first delay between tries; it doubles with each
	// retry, with jitter, up to MaxRetryDelay. A Retry-After header from
	// the service takes precedence.
	RetryDelay    time.Duration
	MaxRetryDelay time.Duration
	// Transport replaces the HTTP transport, for tests.
	Transport policy.Transporter
	// Log receives a warning for every failed try of a request. The zero
	// value logs nothing.
	Log zerolog.Logger
}

// Defaults for Options.
const (
	DefaultMaxRetries    = 6
	DefaultTryTimeout    = 60 * time.Second
	DefaultRetryDelay    = 1 * time.Second
	DefaultMaxRetryDelay = 30 * time.Second
)

// Service is a connection to the table service of one storage account.
// It is safe for concurrent use.
type Service struct {
	account  Account
	pipeline runtime.Pipeline
	tables   *aztables.ServiceClient
	// prefix is prepended to every table name; see WithPrefix.
	prefix string
}

// Connect prepares a Service for account. It sends no request.
func Connect(account Account, opts Options) (*Service, error) {
	client := clientOptions(opts)
	tries := int(client.Retry.MaxRetries) + 1
	if client.Retry.MaxRetries < 0 {
		tries = 1
	}
	// Set in the client options, the policies run in the aztables client
	// and in the pipeline below alike.
	client.PerCallPolicies = []policy.Policy{countTries{}}
	// capRetryAfter runs outside logFailedTries, so that the log shows the
	// Retry-After the service sent.
	client.PerRetryPolicies = []policy.Policy{
		capRetryAfter{max: client.Retry.MaxRetryDelay},
		logFailedTries{log: opts.Log, tries: tries},
		retryCutResponses{},
		freshBody{},
	}
	s := &Service{account: account}

	var authPolicy policy.Policy
	var err error
	switch {
	case account.key != nil:
		authPolicy = sharedKeyPolicy{account: account.Name, key: account.key}
		var cred *aztables.SharedKeyCredential
		cred, err = aztables.NewSharedKeyCredential(account.Name, base64.StdEncoding.EncodeToString(account.key))
		if err == nil {
			s.tables, err = aztables.NewServiceClientWithSharedKey(account.Endpoint, cred, &aztables.ClientOptions{ClientOptions: client})
		}
	case account.cred != nil:
		authPolicy = runtime.NewBearerTokenPolicy(account.cred, []string{StorageScope}, nil)
		s.tables, err = aztables.NewServiceClient(account.Endpoint, account.cred, &aztables.ClientOptions{ClientOptions: client})
	case account.sas != "":
		authPolicy = sasPolicy{sas: account.sas}
		s.tables, err = aztables.NewServiceClientWithNoCredential(account.Endpoint+"/?"+account.sas, &aztables.ClientOptions{ClientOptions: client})
	default:
		return nil, errors.New("the account has no credential: give an AccountKey or a SharedAccessSignature, a SAS token, or sign in with Azure AD")
	}
	if err != nil {
		return nil, fmt.Errorf("create table client: %s", Redact(err.Error()))
	}
	s.pipeline = runtime.NewPipeline("authagonal-tables", "", runtime.PipelineOptions{
		PerRetry: []policy.Policy{authPolicy},
	}, &client)
	return s, nil
}

func clientOptions(opts Options) policy.ClientOptions {
	retry := policy.RetryOptions{
		MaxRetries:    int32(orDefault(opts.MaxRetries, DefaultMaxRetries)),
		TryTimeout:    orDefault(opts.TryTimeout, DefaultTryTimeout),
		RetryDelay:    orDefault(opts.RetryDelay, DefaultRetryDelay),
		MaxRetryDelay: orDefault(opts.MaxRetryDelay, DefaultMaxRetryDelay),
		ShouldRetry:   shouldRetry,
	}
	client := policy.ClientOptions{Retry: retry, Transport: opts.Transport}
	client.Telemetry.Disabled = true
	return client
}

func orDefault[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// Account returns the account this service talks to.
func (s *Service) Account() Account { return s.account }

// newRequest builds a request to path below the account endpoint with the
// OData headers every entity operation needs.
func (s *Service) newRequest(ctx context.Context, method, path string, query url.Values) (*policy.Request, error) {
	u := s.account.Endpoint + "/" + path
	if len(query) > 0 {
		u += "?" + encodeQuery(query)
	}
	req, err := runtime.NewRequest(ctx, method, u)
	if err != nil {
		return nil, err
	}
	h := req.Raw().Header
	h.Set("x-ms-version", apiVersion)
	h.Set("DataServiceVersion", "3.0")
	h.Set("MaxDataServiceVersion", "3.0;NetFx")
	h.Set("Accept", "application/json;odata=fullmetadata")
	return req, nil
}

// encodeQuery encodes query like url.Values.Encode but with %20 for spaces:
// the service decodes both, and %20 keeps OData filters readable in logs.
func encodeQuery(query url.Values) string {
	return strings.ReplaceAll(query.Encode(), "+", "%20")
}

// do sends req and returns the response if its status is one of ok.
// Any other status becomes a *ServiceError, with the body read and closed.
func (s *Service) do(req *policy.Request, op string, ok ...int) (*http.Response, error) {
	resp, err := s.pipeline.Do(req)
	if err != nil {
		return nil, transportError(req.Raw().Context(), op, err)
	}
	for _, code := range ok {
		if resp.StatusCode == code {
			return resp, nil
		}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, newServiceError(op, resp.StatusCode, body)
}

// transportError describes a failure to reach the service without the
// request URL, which can carry a SAS token.
func transportError(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", op, ctx.Err())
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		// The caller's context is live, so a try timed out.
		msg = "every try timed out (see --try-timeout)"
	}
	return &ServiceError{Op: op, Message: Redact(msg), Unreachable: true}
}

// ServiceError is an error returned by the Table service, or a failure to
// reach it.
type ServiceError struct {
	// Op names the operation, such as `query table "Users"`.
	Op string
	// StatusCode is the HTTP status, or 0 if the service was not reached.
	StatusCode int
	// Code is the service's error code, such as "ResourceNotFound".
	Code    string
	Message string
	// Unreachable is set when no response arrived.
	Unreachable bool
}

func (e *ServiceError) Error() string {
	if hint := e.hint(); hint != "" {
		e := *e
		e.Message += "; " + hint
		return e.plainError()
	}
	return e.plainError()
}

// hint returns advice for errors whose cause is usually outside the tool.
func (e *ServiceError) hint() string {
	switch {
	case e.StatusCode == http.StatusForbidden:
		return "check the credentials: the account key, the SAS token with its permissions and expiry, or with Azure AD the role assignment (such as Storage Table Data Contributor)"
	case e.Code == codeTableBeingDeleted:
		return "a table of this name is still being deleted, which takes at least 40 seconds; run again in a minute"
	case e.Unreachable:
		return "check the endpoint in the connection string and that the service is reachable from this host"
	}
	return ""
}

func (e *ServiceError) plainError() string {
	switch {
	case e.Unreachable:
		return fmt.Sprintf("%s: service unreachable: %s", e.Op, e.Message)
	case e.Code != "":
		return fmt.Sprintf("%s: %s (HTTP %d): %s", e.Op, e.Code, e.StatusCode, e.Message)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.StatusCode, e.Message)
}

// IsCode reports whether err is a ServiceError with the given error code.
func IsCode(err error, code string) bool {
	var se *ServiceError
	return errors.As(err, &se) && se.Code == code
}

// odataError is the JSON error body of the service.
type odataError struct {
	Error struct {
		Code    string `json:"code"`
		Message struct {
			Value string `json:"value"`
		} `json:"message"`
	} `json:"odata.error"`
}

func newServiceError(op string, status int, body []byte) *ServiceError {
	e := &ServiceError{Op: op, StatusCode: status}
	var oe odataError
	if json.Unmarshal(body, &oe) == nil && oe.Error.Code != "" {
		e.Code = oe.Error.Code
		e.Message = firstLine(oe.Error.Message.Value)
	} else {
		e.Message = firstLine(strings.TrimSpace(string(body)))
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
	}
	e.Message = Redact(e.Message)
	return e
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimSpace(s)
}

// sharedKeyPolicy signs requests with the SharedKeyLite scheme of the Table
// service: an HMAC-SHA256 over the date and the canonical resource.
type sharedKeyPolicy struct {
	account string
	key     []byte
}

func (p sharedKeyPolicy) Do(req *policy.Request) (*http.Response, error) {
	raw := req.Raw()
	date := time.Now().UTC().Format(http.TimeFormat)
	raw.Header.Set("x-ms-date", date)

	resource := "/" + p.account + raw.URL.EscapedPath()
	if comp := raw.URL.Query().Get("comp"); comp != "" {
		resource += "?comp=" + comp
	}
	mac := hmac.New(sha256.New, p.key)
	mac.Write([]byte(date + "\n" + resource))
	signature := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	raw.Header.Set("Authorization", "SharedKeyLite "+p.account+":"+signature)
	return req.Next()
}

// sasPolicy appends a SAS token to the query string of every request.
type sasPolicy struct {
	sas string
}

func (p sasPolicy) Do(req *policy.Request) (*http.Response, error) {
	raw := req.Raw()
	if raw.URL.RawQuery == "" {
		raw.URL.RawQuery = p.sas
	} else if !strings.Contains(raw.URL.RawQuery, "sig=") {
		raw.URL.RawQuery += "&" + p.sas
	}
	return req.Next()
}

// tryCounterKey is the context key of the try counter of one request.
type tryCounterKey struct{}

// countTries gives each request a counter that logFailedTries, which runs
// once per try, increments.
type countTries struct{}

func (countTries) Do(req *policy.Request) (*http.Response, error) {
	counter := new(int)
	return req.WithContext(context.WithValue(req.Raw().Context(), tryCounterKey{}, counter)).Next()
}

// logFailedTries logs every try that ends in an error or a status the
// retry policy retries, so that a slow or unreachable service is visible
// while the retries go on instead of only when they are used up.
type logFailedTries struct {
	log   zerolog.Logger
	tries int
}

func (p logFailedTries) Do(req *policy.Request) (*http.Response, error) {
	try := 1
	if counter, ok := req.Raw().Context().Value(tryCounterKey{}).(*int); ok {
		*counter++
		try = *counter
	}
	resp, err := req.Next()

	var event *zerolog.Event
	switch {
	case err != nil:
		if req.Raw().Context().Err() != nil {
			return resp, err // cancelled by the caller, not a failure to report
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			err = errors.New("timed out (see --try-timeout)")
		}
		event = p.log.Warn().Str("error", Redact(err.Error()))
	case isRetriedResponse(resp):
		event = p.log.Warn().Int("status", resp.StatusCode).Str("code", resp.Header.Get("x-ms-error-code"))
		if after := resp.Header.Get("Retry-After"); after != "" {
			event = event.Str("retry_after", after)
		}
	default:
		return resp, err
	}
	msg := "request failed; retrying"
	if try >= p.tries {
		msg = "request failed; no retries left"
	}
	event.Str("request", req.Raw().Method+" "+req.Raw().URL.Path).Int("try", try).Int("tries", p.tries).Msg(msg)
	return resp, err
}

// ListTables returns the names of all tables in the account, or with a
// prefix, the logical names of the tables that carry it.
func (s *Service) ListTables(ctx context.Context) ([]string, error) {
	var names []string
	// The continuation is the name of the next table, which only moves
	// forward, so one sent twice would page forever.
	seen := map[string]bool{}
	pager := s.tables.NewListTablesPager(nil)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, sdkError(ctx, "list tables", err)
		}
		for _, t := range page.Tables {
			if t.Name != nil {
				names = append(names, *t.Name)
			}
		}
		if next := page.NextTableName; next != nil && *next != "" {
			if seen[*next] {
				return nil, fmt.Errorf("list tables: %w (NextTableName %q), so paging on would never end; the service, or a proxy in front of it, is faulty", ErrRepeatedContinuation, *next)
			}
			seen[*next] = true
		}
	}
	return s.logicalNames(names), nil
}

// CreateTable creates a table. A table that exists already is not an error.
func (s *Service) CreateTable(ctx context.Context, name string) error {
	_, err := s.tables.CreateTable(ctx, s.TableName(name), nil)
	if err != nil {
		var re *azcore.ResponseError
		if errors.As(err, &re) && re.ErrorCode == string(aztables.TableAlreadyExists) {
			return nil
		}
		return sdkError(ctx, fmt.Sprintf("create table %q", name), err)
	}
	return nil
}

// DeleteTable deletes a table.
func (s *Service) DeleteTable(ctx context.Context, name string) error {
	_, err := s.tables.DeleteTable(ctx, s.TableName(name), nil)
	if err != nil {
		return sdkError(ctx, fmt.Sprintf("delete table %q", name), err)
	}
	return nil
}

// sdkError converts an aztables error into a *ServiceError, so that callers
// see one error type and no request URL.
func sdkError(ctx context.Context, op string, err error) error {
	var re *azcore.ResponseError
	if errors.As(err, &re) {
		return &ServiceError{Op: op, StatusCode: re.StatusCode, Code: re.ErrorCode, Message: http.StatusText(re.StatusCode)}
	}
	return transportError(ctx, op, err)
}
