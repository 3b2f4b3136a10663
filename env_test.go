package main

import (
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// withoutEnvironmentVariable lists the flags, as "command --flag", that
// have no environment variable, with the reason. --help and --version are
// not in the definitions, so they need no entry.
var withoutEnvironmentVariable = map[string]string{
	"backup --dry-run":    "a leftover variable would turn every scheduled backup into a listing that exits 0",
	"restore --dry-run":   "a preview is requested on the command line of one run",
	"verify --json":       "it changes what stdout contains, so a script that parses it requests it itself",
	"prune --dry-run":     "a leftover variable would turn every scheduled prune into a listing that removes nothing",
	"prune --json":        "it changes what stdout contains, so a script that parses it requests it itself",
	"list --json":         "it changes what stdout contains, so a script that parses it requests it itself",
	"keygen --encryption": "keygen runs once to create a key, and a variable would create another on a rerun",
	"keygen --signing":    "keygen runs once to create a key, and a variable would create another on a rerun",
}

// TestFlagsHaveEnvironmentVariables walks the command definitions: every
// flag reads an environment variable that its command's help shows, or is
// listed in withoutEnvironmentVariable.
func TestFlagsHaveEnvironmentVariables(t *testing.T) {
	app := newApp(&environment{})
	groups := map[string][]cli.Flag{"global": app.Flags}
	for _, cmd := range app.Commands {
		groups[cmd.Name] = cmd.Flags
	}
	seen := map[string]bool{}
	for command, flags := range groups {
		help := runInProcess("--help").stdout
		if command != "global" {
			help = runInProcess(command, "--help").stdout
		}
		for _, f := range flags {
			key := command + " --" + f.Names()[0]
			seen[key] = true
			envs := f.(cli.DocGenerationFlag).GetEnvVars()
			if len(envs) == 0 {
				if _, ok := withoutEnvironmentVariable[key]; !ok {
					t.Errorf("%s has no environment variable: add one named like the others (BACKUP_*, RESTORE_* or AUTHAGONAL_TABLES_*), or list it in withoutEnvironmentVariable with the reason", key)
				}
				continue
			}
			for _, env := range envs {
				if !strings.Contains(help, "$"+env) {
					t.Errorf("the help of %s does not show $%s of --%s", command, env, f.Names()[0])
				}
			}
		}
	}
	for key := range withoutEnvironmentVariable {
		if !seen[key] {
			t.Errorf("withoutEnvironmentVariable lists %s, which is not a flag any more", key)
		}
	}
}
