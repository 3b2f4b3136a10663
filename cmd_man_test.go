package main

import (
	"os"
	"strings"
	"testing"
)

func TestManPageUpToDate(t *testing.T) {
	committed, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatalf("%v; run make man to generate it", err)
	}
	r := runInProcess("man")
	wantCode(t, r, 0)
	if r.stdout != string(committed) {
		t.Errorf("%s is out of date with the command definitions; run make man and commit the result", manPath)
	}
	for _, want := range []string{".TH authagonal-tables 1", "ENVIRONMENT", "BACKUP_OUTPUT", "EXIT STATUS", "--include-signing-keys"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the manual page lacks %q", want)
		}
	}
}
