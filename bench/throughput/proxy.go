package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// proxy forwards TCP connections from a port of 127.0.0.1 to target and
// delays every chunk by latency in each direction, as a network round trip
// would. It does not limit bandwidth.
type proxy struct {
	listener net.Listener
	target   string
	latency  time.Duration
	wg       sync.WaitGroup
}

func startProxy(target string, latency time.Duration) (*proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{listener: l, target: target, latency: latency}
	p.wg.Add(1)
	go p.serve()
	return p, nil
}

// Addr returns the host:port the proxy listens on.
func (p *proxy) Addr() string { return p.listener.Addr().String() }

func (p *proxy) Close() {
	p.listener.Close()
	p.wg.Wait()
}

func (p *proxy) serve() {
	defer p.wg.Done()
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		go p.handle(client)
	}
}

func (p *proxy) handle(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(server, client) }()
	go func() { defer wg.Done(); p.pipe(client, server) }()
	wg.Wait()
	client.Close()
	server.Close()
}

type chunk struct {
	at   time.Time
	data []byte
}

// pipe copies src to dst, holding each chunk until latency after it was
// read. Order is kept, so the stream arrives whole, only later.
func (p *proxy) pipe(dst, src net.Conn) {
	chunks := make(chan chunk, 4096)
	go func() {
		defer close(chunks)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				chunks <- chunk{at: time.Now(), data: append([]byte(nil), buf[:n]...)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range chunks {
		time.Sleep(time.Until(c.at.Add(p.latency)))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	for range chunks { // drain, so the reader ends
	}
	if tcp, ok := dst.(*net.TCPConn); ok {
		tcp.CloseWrite()
	} else {
		io.Copy(io.Discard, src)
	}
}
