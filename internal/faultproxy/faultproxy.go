// Package faultproxy is a loopback HTTP proxy for tests. It sits between
// the tool and a Table service such as Azurite and injects the faults of a
// real service. These are busy and timed-out servers, throttling,
// connection resets, responses cut off mid-body, responses slower than a
// try timeout, and table creations rejected while a table is being deleted.
//
// Which requests fail is decided by a Rule: a share of all requests chosen
// by a seeded hash, or every request that names one table. The decision
// for a request depends only on the seed, the request's content and how
// many times the same request came before, not on the order in which
// concurrent requests arrive, so a seed gives the same faults on every run.
package faultproxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is a kind of fault.
type Kind int

// The kinds of fault. The status faults respond in place of the service,
// with the error body and the x-ms-error-code header that Azure sends.
const (
	// ServerBusy responds 503 ServerBusy with a Retry-After of one second.
	ServerBusy Kind = iota
	// OperationTimedOut responds 500 OperationTimedOut.
	OperationTimedOut
	// TooManyRequests responds 429 TooManyRequests with a Retry-After of one
	// second, as the Cosmos DB Table API throttles.
	TooManyRequests
	// ConnectionReset resets the connection before the request reaches
	// the service.
	ConnectionReset
	// CutBody forwards the request, so the service applies it, and sends
	// only half of the response body before closing the connection.
	CutBody
	// Slow forwards the request, then holds the response until the client
	// gives up or Rule.SlowDelay has passed.
	Slow
	// TableBeingDeleted responds 409 TableBeingDeleted. It applies to table
	// creations only; other requests get another kind of the rule.
	TableBeingDeleted
)

// AllKinds lists every kind, for a rule that mixes them.
var AllKinds = []Kind{ServerBusy, OperationTimedOut, TooManyRequests, ConnectionReset, CutBody, Slow, TableBeingDeleted}

var kindNames = map[Kind]string{
	ServerBusy: "ServerBusy", OperationTimedOut: "OperationTimedOut", TooManyRequests: "TooManyRequests",
	ConnectionReset: "ConnectionReset", CutBody: "CutBody", Slow: "Slow", TableBeingDeleted: "TableBeingDeleted",
}

func (k Kind) String() string {
	if name, ok := kindNames[k]; ok {
		return name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Rule selects the requests that fail and how.
type Rule struct {
	// Kinds are the faults to inject; each faulted request gets one of
	// them, chosen by the same hash. Empty means no faults.
	Kinds []Kind
	// Percent is the share of requests faulted, from 0 to 100, when Table
	// is empty.
	Percent float64
	// Table, when set, faults every request that names this table
	// (case-insensitively) in its path, in the operations of a batch, or
	// in the body of a table creation, and no other request.
	Table string
	// Seed varies which requests the random rule faults.
	Seed uint64
	// SlowDelay is the longest a Slow fault holds a response; zero means
	// 5 seconds. Give the client a shorter try timeout.
	SlowDelay time.Duration
}

// Proxy is a running fault-injecting proxy. It is safe for concurrent use.
type Proxy struct {
	// Endpoint is the table endpoint through the proxy: the upstream
	// endpoint with the proxy's host and port.
	Endpoint string

	upstream *url.URL
	listener net.Listener
	server   *http.Server
	client   *http.Client

	mu       sync.Mutex
	rule     Rule
	attempts map[uint64]uint64
	counts   map[Kind]int
	requests int
}

// Start starts a proxy on a free port of 127.0.0.1 in front of the table
// endpoint upstream, such as http://127.0.0.1:10002/devstoreaccount1.
func Start(upstream string, rule Rule) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("invalid upstream endpoint %q: expected a URL such as http://127.0.0.1:10002/devstoreaccount1", upstream)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		upstream: u,
		listener: l,
		client: &http.Client{
			Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64},
			// The tool follows no redirect from the service; neither does
			// the proxy.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		rule:     rule,
		attempts: map[uint64]uint64{},
		counts:   map[Kind]int{},
	}
	endpoint := *u
	endpoint.Host = l.Addr().String()
	p.Endpoint = strings.TrimRight(endpoint.String(), "/")
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.server.Serve(l)
	return p, nil
}

// SetRule replaces the rule for the requests that arrive from now on.
func (p *Proxy) SetRule(rule Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rule = rule
}

// Counts returns the number of faults injected so far, by kind.
func (p *Proxy) Counts() map[Kind]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[Kind]int, len(p.counts))
	for k, n := range p.counts {
		out[k] = n
	}
	return out
}

// Requests returns the number of requests received so far.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Close stops the proxy and closes every connection.
func (p *Proxy) Close() error {
	err := p.server.Close()
	p.client.CloseIdleConnections()
	return err
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the client went away
	}
	kind, faulted := p.decide(r, body)
	if !faulted {
		p.forward(w, r, body, nil)
		return
	}
	switch kind {
	case ServerBusy:
		writeError(w, http.StatusServiceUnavailable, "ServerBusy", "The server is busy.", true)
	case OperationTimedOut:
		writeError(w, http.StatusInternalServerError, "OperationTimedOut", "Operation could not be completed within the specified time.", false)
	case TooManyRequests:
		writeError(w, http.StatusTooManyRequests, "TooManyRequests", "The request rate is too large. Please retry after some time.", true)
	case TableBeingDeleted:
		writeError(w, http.StatusConflict, "TableBeingDeleted", "The specified table is being deleted. Try operation later.", false)
	case ConnectionReset:
		reset(w)
	case CutBody:
		p.forward(w, r, body, cut)
	case Slow:
		p.forward(w, r, body, p.hold)
	}
}

// decide returns the fault for a request, if any, and counts it.
func (p *Proxy) decide(r *http.Request, body []byte) (Kind, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	rule := p.rule
	kinds := applicable(rule.Kinds, isTableCreation(r))
	if len(kinds) == 0 {
		return 0, false
	}
	id := identity(r, body)
	attempt := p.attempts[id]
	p.attempts[id] = attempt + 1
	h := mix(rule.Seed ^ mix(id^mix(attempt)))

	if rule.Table != "" {
		if !namesTable(r, body, rule.Table) {
			return 0, false
		}
	} else if float64(h%10000) >= rule.Percent*100 {
		return 0, false
	}
	kind := kinds[(h/10000)%uint64(len(kinds))]
	p.counts[kind]++
	return kind, true
}

// applicable returns the kinds that can hit a request: TableBeingDeleted
// hits table creations only.
func applicable(kinds []Kind, creation bool) []Kind {
	var out []Kind
	for _, k := range kinds {
		if k != TableBeingDeleted || creation {
			out = append(out, k)
		}
	}
	return out
}

// mix is the splitmix64 finalizer: it spreads the bits of x, so that
// nearby inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// operationLine matches the request line of one operation in a batch body.
var operationLine = regexp.MustCompile(`(?m)^(PUT|MERGE|DELETE|POST|PATCH|GET) \S+`)

// identity hashes what makes a request the same request when it is sent
// again: the method, the path, the query and the body. A batch body is
// reduced to its operation lines, because its multipart boundaries are
// random on every send.
func identity(r *http.Request, body []byte) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s %s?", r.Method, r.URL.EscapedPath())
	query := r.URL.Query()
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s&", k, strings.Join(query[k], ","))
	}
	if strings.HasSuffix(r.URL.Path, "/$batch") {
		for _, line := range operationLine.FindAll(body, -1) {
			h.Write(line)
			h.Write([]byte{'\n'})
		}
	} else {
		h.Write(body)
	}
	return h.Sum64()
}

// isTableCreation reports whether r creates a table: POST /<account>/Tables.
func isTableCreation(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.EqualFold(lastSegment(r.URL.Path), "Tables")
}

func lastSegment(path string) string {
	path = strings.TrimRight(path, "/")
	return path[strings.LastIndex(path, "/")+1:]
}

// namesTable reports whether r is a request about table: its path names
// it, as in /acct/Users() or /acct/Tables('Users'), one operation of its
// batch body does, or it creates the table.
func namesTable(r *http.Request, body []byte, table string) bool {
	segment := strings.ToLower(lastSegment(r.URL.Path))
	t := strings.ToLower(table)
	switch {
	case segment == t, strings.HasPrefix(segment, t+"("):
		return true
	case segment == "tables('"+t+"')":
		return true
	case strings.HasSuffix(r.URL.Path, "/$batch"):
		for _, line := range operationLine.FindAll(body, -1) {
			if strings.Contains(strings.ToLower(string(line)), "/"+t+"(") {
				return true
			}
		}
	case isTableCreation(r):
		var create struct {
			TableName string `json:"TableName"`
		}
		return json.Unmarshal(body, &create) == nil && strings.EqualFold(create.TableName, table)
	}
	return false
}

// writeError responds in place of the service with the JSON error body and
// headers of Azure Table Storage.
func writeError(w http.ResponseWriter, status int, code, message string, retryAfter bool) {
	h := w.Header()
	h.Set("Content-Type", "application/json;odata=minimalmetadata;streaming=true;charset=utf-8")
	h.Set("x-ms-error-code", code)
	h.Set("x-ms-request-id", "00000000-0000-0000-0000-000000000000")
	h.Set("x-ms-version", "2019-02-02")
	if retryAfter {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	var b bytes.Buffer
	json.NewEncoder(&b).Encode(map[string]any{"odata.error": map[string]any{
		"code":    code,
		"message": map[string]string{"lang": "en-US", "value": message + "\nRequestId:00000000-0000-0000-0000-000000000000\nTime:" + time.Now().UTC().Format("2006-01-02T15:04:05.0000000Z")},
	}})
	w.Write(b.Bytes())
}

// reset closes the client's connection with a TCP reset.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0) // close sends RST instead of FIN
	}
	conn.Close()
}

// respond writes a response from the service to the client; the faults
// that need the service's response replace it.
type respond func(w http.ResponseWriter, r *http.Request, resp *http.Response, body []byte)

// forward sends the request to the service and passes the response on,
// through alter when it is set.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte, alter respond) {
	target := *p.upstream
	target.Path = r.URL.Path
	target.RawPath = r.URL.RawPath
	target.RawQuery = r.URL.RawQuery
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	for name, values := range r.Header {
		if name == "Connection" || name == "Keep-Alive" || name == "Proxy-Connection" || name == "Te" || name == "Trailer" || name == "Transfer-Encoding" || name == "Upgrade" {
			continue
		}
		out.Header[name] = values
	}
	out.ContentLength = int64(len(body))
	resp, err := p.client.Do(out)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		}
		return
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	if alter != nil {
		alter(w, r, resp, respBody)
		return
	}
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	w.Write(respBody)
}

func copyHeader(dst, src http.Header) {
	for name, values := range src {
		if name == "Connection" || name == "Transfer-Encoding" || name == "Content-Length" {
			continue
		}
		dst[name] = values
	}
}

// cut sends the response's status, its headers with the full
// Content-Length, and half of its body, then closes the connection.
func cut(w http.ResponseWriter, _ *http.Request, resp *http.Response, body []byte) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %s\r\n", resp.Status)
	h := resp.Header.Clone()
	h.Del("Connection")
	h.Del("Transfer-Encoding")
	// An empty body is cut too: the header promises bytes that never come.
	length := max(len(body), 16)
	h.Set("Content-Length", fmt.Sprint(length))
	h.Write(buf)
	buf.WriteString("\r\n")
	buf.Write(body[:len(body)/2])
	buf.Flush()
}

// hold keeps the service's response until the client gives up or the
// slow delay has passed, then sends it if the client is still there. The
// request was applied already, so a late response never means a late
// write.
func (p *Proxy) hold(w http.ResponseWriter, r *http.Request, resp *http.Response, body []byte) {
	p.mu.Lock()
	delay := p.rule.SlowDelay
	p.mu.Unlock()
	if delay <= 0 {
		delay = 5 * time.Second
	}
	select {
	case <-r.Context().Done():
		return
	case <-time.After(delay):
	}
	copyHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}
