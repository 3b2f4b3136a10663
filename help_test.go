package main

import (
	"strings"
	"testing"
)

func TestBackupHelpShowsSchedule(t *testing.T) {
	r := runInProcess("backup", "--help")
	wantCode(t, r, 0)
	for _, want := range []string{
		"SCHEDULE",
		"0 2 * * *         authagonal-tables backup --output /backups --gzip --require-encryption\n",
		"0 0-1,3-23 * * *  authagonal-tables backup --output /backups --gzip --require-encryption --incremental\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("backup --help lacks %q:\n%s", want, r.stdout)
		}
	}
}
