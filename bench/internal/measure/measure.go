// Package measure runs a command and reports its wall time and peak
// memory.
package measure

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Result is the cost of one run.
type Result struct {
	Elapsed time.Duration
	// PeakRSS is the peak resident set size in bytes, from VmHWM in
	// /proc/PID/status, read every 10 ms until the process exits. It
	// misses only growth in the last 10 ms of a run.
	PeakRSS int64
}

// Run starts cmd, waits for it and measures it. The rusage of a child
// cannot be used for memory: Linux carries the parent's peak into a child
// across fork and exec, so a large benchmark process would inflate it.
func Run(cmd *exec.Cmd) (Result, error) {
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return Result{}, err
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var max int64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := vmHWM(cmd.Process.Pid); v > max {
				max = v
			}
			select {
			case <-done:
				peak <- max
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	r := Result{Elapsed: time.Since(start)}
	close(done)
	r.PeakRSS = <-peak
	return r, err
}

// vmHWM returns the peak RSS of a running process in bytes, or 0.
func vmHWM(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	s := bufio.NewScanner(bytes.NewReader(data))
	for s.Scan() {
		line := s.Text()
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
