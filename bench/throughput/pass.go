package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/authagonal/authagonal-tables/bench/internal/measure"
	"github.com/authagonal/authagonal-tables/internal/azurite"
)

// pass runs every measurement against one network: loopback, or the
// latency proxy in front of each Azurite.
type pass struct {
	cfg     config
	set     *dataSet
	source  *azurite.Server
	latency time.Duration
	work    string
	closers []func()
}

func (p *pass) name() string {
	if p.latency == 0 {
		return "loopback"
	}
	return fmt.Sprintf("+%s each way", p.latency)
}

func (p *pass) close() {
	for i := len(p.closers) - 1; i >= 0; i-- {
		p.closers[i]()
	}
}

// endpoint returns the table endpoint and connection string that reach
// srv in this pass.
func (p *pass) endpoint(srv *azurite.Server) (endpoint, conn string, err error) {
	if p.latency == 0 {
		return srv.Endpoint, srv.ConnectionString(), nil
	}
	u, err := url.Parse(srv.Endpoint)
	if err != nil {
		return "", "", err
	}
	px, err := startProxy(u.Host, p.latency)
	if err != nil {
		return "", "", err
	}
	p.closers = append(p.closers, px.Close)
	endpoint = strings.Replace(srv.Endpoint, u.Host, px.Addr(), 1)
	return endpoint, strings.Replace(srv.ConnectionString(), srv.Endpoint, endpoint, 1), nil
}

// emptyTarget starts an Azurite with the data set's tables, empty.
func (p *pass) emptyTarget(ctx context.Context) (*azurite.Server, error) {
	srv, err := azurite.Start(ctx)
	if err != nil {
		return nil, err
	}
	p.closers = append(p.closers, srv.Stop)
	svc, err := srv.Service()
	if err != nil {
		return nil, err
	}
	for _, name := range p.set.tables {
		if err := svc.CreateTable(ctx, name); err != nil {
			return nil, err
		}
	}
	return srv, nil
}

func (p *pass) run(ctx context.Context) ([]row, error) {
	var rows []row
	add := func(name string, entities int, elapsed time.Duration, rss int64, bare, original string) {
		r := row{pass: p.name(), name: name, entities: entities, elapsed: elapsed, maxRSS: rss, bare: bare, original: original}
		logf("%s: %s: %d entities in %s, %.0f/s", r.pass, name, entities, elapsed.Round(time.Millisecond), r.rate())
		rows = append(rows, r)
	}
	total := p.set.total
	endpoint, conn, err := p.endpoint(p.source)
	if err != nil {
		return nil, err
	}

	if !p.cfg.toolOnly {
		start := time.Now()
		if err := bareRead(ctx, endpoint, p.set.tables, p.cfg.readParallel); err != nil {
			return nil, fmt.Errorf("bare read: %w", err)
		}
		add("bare read limit", total, time.Since(start), 0, "", "")

		start = time.Now()
		if err := originalRead(ctx, endpoint, p.set.tables); err != nil {
			return nil, fmt.Errorf("original read: %w", err)
		}
		add("original: sequential scans", total, time.Since(start), 0, "", "")
	}

	plain := filepath.Join(p.work, p.name()+"-plain")
	elapsed, rss, err := p.tool(conn, "backup", "--tables", strings.Join(p.set.tables, ","), "--output", plain)
	if err != nil {
		return nil, err
	}
	add("backup", total, elapsed, rss, "bare read limit", "original: sequential scans")

	gz := filepath.Join(p.work, p.name()+"-gzip")
	elapsed, rss, err = p.tool(conn, "backup", "--gzip", "--tables", strings.Join(p.set.tables, ","), "--output", gz)
	if err != nil {
		return nil, err
	}
	add("backup --gzip", total, elapsed, rss, "bare read limit", "original: sequential scans")

	if p.latency == 0 {
		elapsed, rss, err = p.tool("", "verify", gz)
		if err != nil {
			return nil, err
		}
		add("verify (gzip)", total, elapsed, rss, "", "")
	}

	if !p.cfg.toolOnly {
		if err := p.writeLimits(ctx, total, add); err != nil {
			return nil, err
		}
	}

	target, err := p.emptyTarget(ctx)
	if err != nil {
		return nil, err
	}
	_, targetConn, err := p.endpoint(target)
	if err != nil {
		return nil, err
	}
	folders, _ := filepath.Glob(filepath.Join(plain, "2*"))
	if len(folders) != 1 {
		return nil, fmt.Errorf("expected one backup in %s, found %v", plain, folders)
	}
	elapsed, rss, err = p.tool(targetConn, "restore", "--input", folders[0])
	if err != nil {
		return nil, err
	}
	add("restore", total, elapsed, rss, "bare write limit", "original: one request per entity")
	return rows, nil
}

// tool runs the binary with args and returns its wall time and peak RSS.
func (p *pass) tool(conn string, args ...string) (time.Duration, int64, error) {
	full := append([]string{"--log-format", "json", "--log-level", "warn"}, args...)
	switch args[0] {
	case "backup":
		full = append(full, "--parallel", fmt.Sprint(p.cfg.readParallel))
	case "restore":
		full = append(full, "--parallel", fmt.Sprint(p.cfg.writeParallel))
	}
	cmd := exec.Command(p.cfg.bin, full...)
	cmd.Env = append(os.Environ(), "STORAGE_CONNECTION_STRING="+conn)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	r, err := measure.Run(cmd)
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w\n%s", args[0], err, stderr.String())
	}
	elapsed, rss := r.Elapsed, r.PeakRSS
	return elapsed, rss, nil
}

// writeLimits measures the bare write limit and the original approach's
// one request per entity, each into an empty Azurite.
func (p *pass) writeLimits(ctx context.Context, total int, add func(string, int, time.Duration, int64, string, string)) error {
	target, err := p.emptyTarget(ctx)
	if err != nil {
		return err
	}
	targetEndpoint, _, err := p.endpoint(target)
	if err != nil {
		return err
	}
	svc, err := target.Service()
	if err != nil {
		return err
	}
	list := encode(batches(p.set, svc.Account().Endpoint))
	start := time.Now()
	if err := bareWrite(ctx, targetEndpoint, list, p.cfg.writeParallel); err != nil {
		return fmt.Errorf("bare write: %w", err)
	}
	add("bare write limit", total, time.Since(start), 0, "", "")

	target, err = p.emptyTarget(ctx)
	if err != nil {
		return err
	}
	targetEndpoint, _, err = p.endpoint(target)
	if err != nil {
		return err
	}
	start = time.Now()
	n, err := originalWrite(ctx, targetEndpoint, p.set, p.cfg.sample)
	if err != nil {
		return fmt.Errorf("original write: %w", err)
	}
	add("original: one request per entity", n, time.Since(start), 0, "", "")

	return nil
}
