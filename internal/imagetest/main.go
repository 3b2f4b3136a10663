// Command imagetest tests the container image that the Dockerfile builds,
// the way a user runs it. Each command runs in a new container of the image,
// through buildah, with the image's entrypoint and user, the host network,
// and a host folder mounted on the /backups volume. The steps are:
//
//   - the image's configuration: entrypoint, non-root user and volume;
//   - the image without arguments prints the help, with the version
//     stamped in at build time;
//   - backup --output /backups --gzip of an Azurite seeded with the sample
//     Authagonal data set, which leaves owner-only files and folders;
//   - verify of that backup;
//   - restore --input into a second, empty Azurite, which must then hold the
//     same entities as the first;
//   - verify of a tampered copy, which must fail with exit code 1.
//
// Usage:
//
//	go run ./internal/imagetest -image localhost/authagonal-tables:image-test
//
// scripts/image-test.sh builds the image and runs this; buildah and root are
// needed. The connection strings passed to the containers contain only the
// public key of the Azurite development account. imagetest exits with 0 when
// every step passed, 1 when one failed, and 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Exit codes of imagetest. A usage error exits with 2, as with the flag
// package.
const (
	exitPassed      = 0
	exitFailed      = 1
	exitInterrupted = 130
)

// timeout bounds the whole test, so that a hung container cannot hold CI
// until its own limit.
const timeout = 10 * time.Minute

type options struct {
	image   string
	version string
	users   int
	buildah string
}

func main() {
	var opts options
	flag.StringVar(&opts.image, "image", "", "name of the image to test, present in buildah's local storage (required)")
	flag.StringVar(&opts.version, "version", "image-test", "version that the image was built with, through its VERSION build argument")
	flag.IntVar(&opts.users, "users", 100, "number of users in the sample data set; the whole set is about 11 entities per user")
	flag.StringVar(&opts.buildah, "buildah", "buildah", "path of the buildah command")
	flag.Parse()
	if opts.image == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/imagetest -image NAME [-version VERSION] [-users N] [-buildah PATH]")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	passed, err := run(ctx, opts)
	// Read the context before stop, which cancels it.
	interrupted := errors.Is(context.Cause(ctx), context.Canceled)
	cancel()
	stop()

	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "imagetest: interrupted")
		os.Exit(exitInterrupted)
	case err != nil:
		fmt.Fprintf(os.Stderr, "imagetest: %v\n", err)
		fmt.Printf("imagetest: %d passed, 1 failed\n", passed)
		os.Exit(exitFailed)
	}
	fmt.Printf("imagetest: %d passed, 0 failed\n", passed)
	os.Exit(exitPassed)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "imagetest: "+format+"\n", args...)
}
