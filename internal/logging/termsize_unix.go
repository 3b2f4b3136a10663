//go:build unix

package logging

import (
	"io"

	"golang.org/x/sys/unix"
)

// hasSize reports whether w is a terminal with known rows and columns.
// A pseudo-terminal without a size, as script(1) gives, cannot show bars.
func hasSize(w io.Writer) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ)
	return err == nil && ws.Row > 0 && ws.Col > 0
}
