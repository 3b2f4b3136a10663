package logging

import (
	"time"

	"github.com/rs/zerolog"
)

// ProgressInterval is how often a long table operation logs its progress.
const ProgressInterval = 10 * time.Second

// Progress logs an info line with the count so far, the rate and, when the
// total is known, the share done, at most once per ProgressInterval. Its
// methods must not be called concurrently.
type Progress struct {
	log   zerolog.Logger
	msg   string
	total int64
	count int64
	start time.Time
	last  time.Time
}

// NewProgress starts counting. total is the expected count, or 0 when
// unknown.
func NewProgress(log zerolog.Logger, msg string, total int64) *Progress {
	now := time.Now()
	return &Progress{log: log, msg: msg, total: total, start: now, last: now}
}

// Add counts n more entities and logs if the interval has passed.
func (p *Progress) Add(n int64) {
	p.count += n
	now := time.Now()
	if now.Sub(p.last) < ProgressInterval {
		return
	}
	p.last = now
	event := p.log.Info().Int64(Entities, p.count)
	if elapsed := now.Sub(p.start).Seconds(); elapsed > 0 {
		event = event.Float64("per_second", float64(int64(float64(p.count)/elapsed*10))/10)
	}
	if p.total > 0 {
		event = event.Float64("percent", float64(int64(float64(p.count)*1000/float64(p.total)))/10)
	}
	event.Msg(p.msg)
}
