//go:build !unix

package logging

import "io"

// hasSize reports whether w is a terminal with known rows and columns; on
// systems without the ioctl, every terminal counts.
func hasSize(w io.Writer) bool { return IsTerminal(w) }
