// Package logging sets up the zerolog logger of the command and names the
// structured fields that every package logs with, so that the same thing
// has the same field name everywhere.
package logging

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// Field names of structured log lines.
const (
	Table    = "table"
	File     = "file"
	Entities = "entities"
	Bytes    = "bytes"
	Duration = "duration"
	Dir      = "dir"
	Mode     = "mode"
	Account  = "account"
	Endpoint = "endpoint"
	Line     = "line"
	Code     = "code"
)

// Formats of --log-format.
const (
	FormatAuto    = "auto"
	FormatConsole = "console"
	FormatJSON    = "json"
)

// New returns a logger that writes to w at level, in the console format
// when format is "console" or when it is "auto" and w is a terminal, and as
// JSON lines otherwise.
func New(w io.Writer, level, format string) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	console := false
	switch format {
	case FormatConsole:
		console = true
	case FormatJSON:
	case FormatAuto, "":
		console = IsTerminal(w)
	default:
		return zerolog.Nop(), fmt.Errorf("invalid --log-format %q: expected auto, console or json", format)
	}
	zerolog.DurationFieldUnit = time.Second
	zerolog.DurationFieldInteger = false
	if console {
		out := w
		if IsTerminal(w) {
			sw := &switchWriter{w: w, terminal: w}
			bars.Lock()
			bars.terminal, bars.out = w, sw
			bars.Unlock()
			out = sw
		}
		w = zerolog.ConsoleWriter{Out: out, TimeFormat: "15:04:05", NoColor: !IsTerminal(w)}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// ParseLevel parses a --log-level value.
func ParseLevel(level string) (zerolog.Level, error) {
	// The .NET names (Trace, Information, Critical, ...) are accepted too,
	// because the tool often runs beside the Authagonal server and its
	// configuration.
	switch strings.ToLower(level) {
	case "debug", "trace":
		return zerolog.DebugLevel, nil
	case "info", "information", "":
		return zerolog.InfoLevel, nil
	case "warn", "warning":
		return zerolog.WarnLevel, nil
	case "error", "critical":
		return zerolog.ErrorLevel, nil
	}
	return zerolog.InfoLevel, fmt.Errorf("invalid --log-level %q: expected debug, info, warn or error", level)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
