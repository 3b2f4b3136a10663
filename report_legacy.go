package main

import (
	"fmt"

	"github.com/authagonal/authagonal-tables/manifest"
)

// printLegacyNotes prints, under the header of a verify report of a
// backup of the .NET tool, what the report cannot vouch for. The warnings
// of each table go to the log.
func printLegacyNotes(env *environment, r *manifest.Report) {
	m := r.Manifest
	if m == nil || m.Legacy == nil {
		return
	}
	fmt.Fprintln(env.stdout, "Written by the Authagonal .NET backup tool: its lines carry no types, so they are inferred; the log names the known errors per table.")
	if !m.Legacy.Hashed {
		fmt.Fprintln(env.stdout, "INTEGRITY NOT PROVEN: the manifest records no file hashes. Only that every line parses and that the counts match was checked.")
	}
}
