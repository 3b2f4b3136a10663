// Package azurite starts a private Azurite Table service for tests, the demo
// and the benchmark: in memory, on a free port of 127.0.0.1, from the copy
// that package.json pins and `npm ci` installs into node_modules.
package azurite

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/authagonal/authagonal-tables/tables"
)

// Server is a running Azurite Table service.
type Server struct {
	// Endpoint is the table endpoint URL, path-style with the account name.
	Endpoint string
	cmd      *exec.Cmd
	workDir  string
	done     chan struct{}
	stopOnce sync.Once
	output   *tailBuffer
	// account and key replace the development account when set.
	account, key string
}

// ConnectionString returns a connection string for the development account
// of the server.
func (s *Server) ConnectionString() string {
	account, key := tables.DevAccountName, tables.DevAccountKey
	if s.account != "" {
		account, key = s.account, s.key
	}
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;TableEndpoint=%s", account, key, s.Endpoint)
}

// Service returns a client for the server.
func (s *Server) Service() (*tables.Service, error) {
	account, err := tables.ParseConnectionString(s.ConnectionString())
	if err != nil {
		return nil, err
	}
	return tables.Connect(account, tables.Options{})
}

// Binary finds azurite-table in node_modules/.bin of the repository that
// contains the working directory.
func Binary() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		candidate := filepath.Join(dir, "node_modules", ".bin", "azurite-table")
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return "", fmt.Errorf("azurite-table not found in %s/node_modules/.bin: run `npm ci` in %s to install the pinned Azurite", dir, dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("azurite-table not found: run `npm ci` in the repository root to install the pinned Azurite")
		}
		dir = parent
	}
}

// Start starts Azurite and waits until it accepts connections. A port taken
// by another process between choosing and binding it is retried.
func Start(ctx context.Context) (*Server, error) {
	return StartAccount(ctx, "", "")
}

// StartAccount starts Azurite with one account of the given name and
// base64 key in place of the development account, so that a test can
// look for a key of its own in the tool's output.
func StartAccount(ctx context.Context, account, key string) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(ctx, bin, account, key)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(ctx context.Context, bin, account, key string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	workDir, err := os.MkdirTemp("", "azurite-")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin,
		"--tableHost", "127.0.0.1", "--tablePort", fmt.Sprint(port),
		"--inMemoryPersistence", "--disableTelemetry", "--skipApiVersionCheck",
		"--silent")
	// Azurite refuses --location with --inMemoryPersistence; running it in
	// a private folder keeps any file it might write out of the repository.
	cmd.Dir = workDir
	if account != "" {
		cmd.Env = append(os.Environ(), "AZURITE_ACCOUNTS="+account+":"+key)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out := &tailBuffer{max: 8 << 10}
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		os.RemoveAll(workDir)
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	name := tables.DevAccountName
	if account != "" {
		name = account
	}
	s := &Server{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d/%s", port, name),
		cmd:      cmd, workDir: workDir, done: make(chan struct{}), output: out,
		account: account, key: key,
	}
	go func() { cmd.Wait(); close(s.done) }()

	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			conn.Close()
			return s, nil
		}
		select {
		case <-s.done:
			s.Stop()
			return nil, fmt.Errorf("azurite exited before it was ready: %s", strings.TrimSpace(out.String()))
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("azurite did not accept connections on port %d within 30s: %s", port, strings.TrimSpace(out.String()))
		}
	}
}

// Stop ends the server and removes its working folder.
func (s *Server) Stop() {
	s.stopOnce.Do(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
			<-s.done
		}
		os.RemoveAll(s.workDir)
	})
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = t.buf[len(t.buf)-t.max:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

var _ io.Writer = (*tailBuffer)(nil)
