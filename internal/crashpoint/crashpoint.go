// Package crashpoint lets the crash-safety tests kill the tool at a named
// moment, such as between writing the manifest and renaming the folder,
// which a kill at a random time would almost never hit.
//
// A point does nothing unless the environment variable Env names it, so in
// normal use each call costs one comparison with an empty string.
package crashpoint

import (
	"os"
	"syscall"
)

// Env names the point at which the process kills itself with SIGKILL.
const Env = "AUTHAGONAL_TABLES_TEST_CRASH_AT"

var armed = os.Getenv(Env)

// Hit kills the process at once, without running deferred functions or
// flushing buffers, when name is the armed point.
func Hit(name string) {
	if armed == "" || armed != name {
		return
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	select {} // the signal arrives before this returns
}
