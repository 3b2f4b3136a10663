package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runInProcess runs the command line args through run and returns the
// exit code, stdout and stderr.
func runInProcess(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"authagonal-tables"}, args...), &stdout, &stderr)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestMistypedFlagSuggestion(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"backup", "--ouput", "x"}, "did you mean --output?"},
		{[]string{"backup", "--increment"}, "did you mean --incremental?"},
		{[]string{"verify", "--jsn", "x"}, "did you mean --json?"},
		{[]string{"restore", "--mdoe", "merge"}, "did you mean --mode?"},
		{[]string{"--log-levl", "debug", "backup"}, "did you mean --log-level?"},
		{[]string{"list", "--hlep"}, "did you mean --help?"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := runInProcess(tc.args...)
			wantCode(t, r, 1)
			if !strings.Contains(r.stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, r.stderr)
			}
		})
	}
}

func TestUnrelatedFlagNoSuggestion(t *testing.T) {
	r := runInProcess("backup", "--no-such-flag")
	wantCode(t, r, 1)
	if strings.Contains(r.stderr, "did you mean") {
		t.Errorf("stderr suggests a flag for an unrelated name:\n%s", r.stderr)
	}
}

func TestEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"output", "output", 0},
		{"ouput", "output", 1},
		{"outptu", "output", 2},
		{"", "json", 4},
		{"gzip", "", 4},
		{"kitten", "sitting", 3},
	}
	for _, tc := range cases {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
