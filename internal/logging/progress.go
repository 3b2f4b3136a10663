package logging

import (
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// ProgressInterval is how often a long table operation logs its progress
// when no progress bars are drawn.
const ProgressInterval = 10 * time.Second

// Progress counts the entities of one table operation. On a terminal with
// bars enabled it draws a bar; otherwise it logs an info line with the
// count so far, the rate and, when the total is known, the share done, at
// most once per ProgressInterval. It is safe for concurrent use.
type Progress struct {
	log   zerolog.Logger
	msg   string
	total int64
	bar   *mpb.Bar

	mu    sync.Mutex
	count int64
	start time.Time
	last  time.Time
}

// NewProgress starts counting. label names the bar, such as the table;
// total is the expected count, or 0 when unknown. Call Done at the end.
func NewProgress(log zerolog.Logger, msg, label string, total int64) *Progress {
	now := time.Now()
	p := &Progress{log: log, msg: msg, total: total, start: now, last: now}
	p.bar = newBar(label, total)
	return p
}

// Add counts n more entities.
func (p *Progress) Add(n int64) {
	if p.bar != nil {
		p.bar.IncrInt64(n)
		return
	}
	p.mu.Lock()
	p.count += n
	now := time.Now()
	if now.Sub(p.last) < ProgressInterval {
		p.mu.Unlock()
		return
	}
	p.last = now
	count := p.count
	p.mu.Unlock()

	event := p.log.Info().Int64(Entities, count)
	if elapsed := now.Sub(p.start).Seconds(); elapsed > 0 {
		event = event.Float64("per_second", float64(int64(float64(count)/elapsed*10))/10)
	}
	if p.total > 0 {
		event = event.Float64("percent", float64(int64(float64(count)*1000/float64(p.total)))/10)
	}
	event.Msg(p.msg)
}

// Done completes the bar, if there is one. When it was the last running
// bar, the bars stop, so that later log lines go straight to the terminal
// rather than wait for a redraw that never comes.
func (p *Progress) Done() {
	if p.bar == nil {
		return
	}
	p.bar.SetTotal(-1, true)
	bars.Lock()
	defer bars.Unlock()
	for _, b := range bars.list {
		if !b.Completed() && !b.Aborted() {
			return
		}
	}
	stopBars()
}

// switchWriter sends the console log to the terminal, or through the bar
// container while bars are drawn, so that log lines print above the bars
// instead of tearing them.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
	// terminal takes a line that the bar container no longer accepts,
	// once its bars have ended, so that no log line is lost.
	terminal io.Writer
}

func (s *switchWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	w := s.w
	s.mu.Unlock()
	n, err := w.Write(b)
	if err != nil && w != s.terminal {
		return s.terminal.Write(b)
	}
	return n, err
}

func (s *switchWriter) set(w io.Writer) {
	s.mu.Lock()
	s.w = w
	s.mu.Unlock()
}

// bars is the state of the progress bars of the process.
var bars struct {
	sync.Mutex
	// terminal is the terminal the console log writes to; nil when the
	// log is not a console log on a terminal.
	terminal io.Writer
	out      *switchWriter
	enabled  bool
	p        *mpb.Progress
	list     []*mpb.Bar
}

// EnableBars makes NewProgress draw bars, when the log is a console log
// on a terminal, and reports whether it will.
func EnableBars() bool {
	bars.Lock()
	defer bars.Unlock()
	bars.enabled = bars.terminal != nil && hasSize(bars.terminal)
	return bars.enabled
}

func newBar(label string, total int64) *mpb.Bar {
	bars.Lock()
	defer bars.Unlock()
	if !bars.enabled {
		return nil
	}
	if bars.p == nil {
		bars.p = mpb.New(mpb.WithOutput(bars.terminal), mpb.WithWidth(24), mpb.WithRefreshRate(200*time.Millisecond))
		bars.out.set(bars.p)
	}
	name := decor.Name(label, decor.WCSyncSpaceR)
	speed := decor.AverageSpeed(nil, "%.0f/s", decor.WCSyncSpace)
	var bar *mpb.Bar
	if total > 0 {
		bar = bars.p.New(total, mpb.BarStyle(),
			mpb.PrependDecorators(name, decor.CountersNoUnit("%d / %d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), speed))
	} else {
		bar = bars.p.New(0, mpb.NopStyle(),
			mpb.PrependDecorators(name, decor.CurrentNoUnit("%d entities", decor.WCSyncSpace)),
			mpb.AppendDecorators(speed))
	}
	bars.list = append(bars.list, bar)
	return bar
}

// StopBars ends every bar still running and stops drawing, so that what
// follows prints on a clean line. Call it before the final output.
func StopBars() {
	bars.Lock()
	defer bars.Unlock()
	stopBars()
}

func stopBars() {
	if bars.p == nil {
		return
	}
	for _, b := range bars.list {
		if !b.Completed() {
			b.Abort(false)
		}
	}
	bars.p.Wait()
	bars.out.set(bars.terminal)
	bars.p, bars.list = nil, nil
}
