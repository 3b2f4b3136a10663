package azurite

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// Main starts one Azurite for a test package, runs its tests and stops the
// server. Use it from TestMain; Shared returns the server. A failure to start
// fails the package: these tests prove the tool against a real service and
// are never skipped.
func Main(m *testing.M) {
	s, err := Start(context.Background())
	if err != nil {
		fmt.Fprintf(os.Stderr, "cannot start Azurite: %v\n", err)
		os.Exit(1)
	}
	shared = s
	code := m.Run()
	s.Stop()
	os.Exit(code)
}

var shared *Server

// Shared returns the server that Main started.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		t.Fatal("azurite.Shared needs azurite.Main in the package's TestMain")
	}
	return shared
}
