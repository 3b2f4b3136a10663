package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestNewFormats(t *testing.T) {
	tests := []struct {
		format   string
		wantJSON bool
	}{
		{FormatAuto, true}, // a bytes.Buffer is not a terminal
		{FormatJSON, true},
		{FormatConsole, false},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, "info", tt.format)
			if err != nil {
				t.Fatal(err)
			}
			log.Info().Str(Table, "Users").Msg("table backup started")
			line := strings.TrimSpace(buf.String())
			if got := json.Valid([]byte(line)); got != tt.wantJSON {
				t.Errorf("JSON = %v, want %v: %s", got, tt.wantJSON, line)
			}
			if !strings.Contains(line, "Users") {
				t.Errorf("line lacks the table field: %s", line)
			}
		})
	}
}

func TestNewLevels(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", FormatJSON)
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hidden")
	log.Warn().Msg("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("output at level warn: %s", buf.String())
	}
}

func TestNewRejectsBadValues(t *testing.T) {
	if _, err := New(&bytes.Buffer{}, "loud", FormatJSON); err == nil || !strings.Contains(err.Error(), `"loud"`) {
		t.Errorf("level loud: err = %v", err)
	}
	if _, err := New(&bytes.Buffer{}, "info", "xml"); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("format xml: err = %v", err)
	}
}
