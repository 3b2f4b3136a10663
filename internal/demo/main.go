// Command demo shows a full round trip of authagonal-tables the way a user
// would run it. It seeds one Azurite with the sample Authagonal data set
// and runs the built binary to take a full backup. It then changes the data
// (updates, inserts and deletes) and takes an incremental backup. It
// verifies the folder of backups, restores the chain into a second, empty
// Azurite, and compares the two accounts entity by entity.
//
// Usage:
//
//	go run ./internal/demo -bin ./bin/authagonal-tables
//
// The backup takes every seeded table through --tables: the Authagonal set,
// SigningKeys, the transient tables and EdmTypes, the table of every EDM
// type and its extreme values. With -default-set it takes what a plain
// `backup --include-signing-keys` takes instead.
//
// The binary's own output passes through to the terminal. The demo writes
// its progress to stderr and the summary table to stdout. It exits with 0
// when both accounts are identical, 1 on any difference or failed step, and
// 130 when interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/authagonal/authagonal-tables/internal/azurite"
	"github.com/authagonal/authagonal-tables/internal/compare"
	"github.com/authagonal/authagonal-tables/internal/sampledata"
	"github.com/authagonal/authagonal-tables/tables"
)

// Exit codes of the demo. A usage error exits with 2, as with the flag
// package.
const (
	exitIdentical   = 0
	exitFailed      = 1
	exitInterrupted = 130
)

type options struct {
	bin   string
	users int
	seed  int64
	keep  bool
	// defaultSet makes the backup take the default set and SigningKeys
	// instead of every seeded table.
	defaultSet bool
}

func main() {
	var opts options
	flag.StringVar(&opts.bin, "bin", "", "path of the authagonal-tables binary to run (required)")
	flag.IntVar(&opts.users, "users", sampledata.DefaultUsers, "number of users in the sample data set; the whole set is about 11 entities per user")
	flag.Int64Var(&opts.seed, "seed", 1, "seed of the sample data set")
	flag.BoolVar(&opts.keep, "keep", false, "keep the backup folder instead of deleting it at the end")
	flag.BoolVar(&opts.defaultSet, "default-set", false, "back up, restore and compare only the Authagonal default set and SigningKeys, without --tables")
	flag.Parse()
	if opts.bin == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./internal/demo -bin ./bin/authagonal-tables [-users N] [-seed N] [-keep] [-default-set]")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	identical, err := run(ctx, opts, os.Stdout)
	// Read the context before stop, which cancels it.
	interrupted := ctx.Err() != nil
	stop()

	switch {
	case interrupted:
		fmt.Fprintln(os.Stderr, "demo: interrupted")
		os.Exit(exitInterrupted)
	case err != nil:
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		os.Exit(exitFailed)
	case !identical:
		os.Exit(exitFailed)
	}
	os.Exit(exitIdentical)
}

// comparedTables returns the tables that the demo's backup command takes:
// with defaultSet the default set plus SigningKeys because of
// --include-signing-keys, otherwise every seeded table.
func comparedTables(defaultSet bool) []string {
	if defaultSet {
		return append(slices.Clone(tables.Default), tables.SigningKeys)
	}
	return sampledata.Tables()
}

// backupArgs returns the arguments of the backup command: gzip, encrypted
// and signed, as production backups should be.
func backupArgs(opts options, connectionString, output string, k demoKeys) []string {
	args := []string{"backup", "--connection-string", connectionString, "--output", output, "--gzip", "--include-signing-keys",
		"--require-encryption", "--encrypt-to", k.recipient, "--sign-key", k.signKey}
	if !opts.defaultSet {
		args = append(args, "--tables", strings.Join(comparedTables(false), ","))
	}
	return args
}

// run performs the round trip, prints the summary to out and reports
// whether the two accounts are identical. It returns an error when a step
// fails.
func run(ctx context.Context, opts options, out io.Writer) (bool, error) {
	bin, err := filepath.Abs(opts.bin)
	if err != nil {
		return false, err
	}
	if _, err := os.Stat(bin); errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("binary %s not found: run `make demo`, which builds it, or pass the path of a built binary with -bin", opts.bin)
	} else if err != nil {
		return false, err
	}

	logf("starting Azurite A and B")
	source, err := startAzurite(ctx)
	if err != nil {
		return false, err
	}
	defer source.server.Stop()
	target, err := startAzurite(ctx)
	if err != nil {
		return false, err
	}
	defer target.server.Stop()

	output, err := os.MkdirTemp("", "authagonal-demo-")
	if err != nil {
		return false, err
	}
	if opts.keep {
		defer logf("kept the backup in %s", output)
	} else {
		defer os.RemoveAll(output)
	}

	keyDir, err := os.MkdirTemp("", "authagonal-demo-keys-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(keyDir)
	logf("creating an age key pair to encrypt the backups and an Ed25519 pair to sign them")
	keys, err := makeKeys(ctx, bin, keyDir)
	if err != nil {
		return false, err
	}

	var timer stepTimer
	sum := summary{steps: &timer, backupKept: opts.keep}

	logf("seeding Azurite A with %d users (seed %d)", opts.users, opts.seed)
	err = timer.run("seed", func() error {
		stats, err := sampledata.Seed(ctx, source.service, sampledata.Options{Users: opts.users, Seed: opts.seed})
		if err == nil {
			logf("seeded %d entities into %d tables in %d batches", stats.Entities, stats.Tables, stats.Batches)
		}
		return err
	})
	if err != nil {
		return false, err
	}

	// Timestamps within the incremental's overlap of the full backup's
	// start are copied again, so the pause keeps the seeded data out of
	// the incremental, as hours between backups would.
	const settle = 2 * time.Second
	logf("waiting %s, so that the seeded data is older than the incremental's 1s overlap", settle)
	select {
	case <-time.After(settle):
	case <-ctx.Done():
		return false, ctx.Err()
	}

	if err := timer.run("backup", func() error {
		return runTool(ctx, bin, backupArgs(opts, source.server.ConnectionString(), output, keys)...)
	}); err != nil {
		return false, err
	}
	sum.backupDir, err = findBackupFolder(output)
	if err != nil {
		return false, err
	}
	sum.backupBytes, err = folderSize(sum.backupDir)
	if err != nil {
		return false, err
	}

	logf("changing Azurite A: updates, inserts and deletes")
	if err := timer.run("change", func() error {
		sum.changes, err = makeChanges(ctx, source.service, comparedTables(opts.defaultSet))
		return err
	}); err != nil {
		return false, err
	}
	logf("changed %s", sum.changes)

	// The demo's data is seconds old, so the default 5-minute overlap
	// would copy all of it again. Production runs keep the default.
	// The incremental decrypts the full backup's key set to find the
	// deletes; in production the backup host has an identity of its own.
	logf("taking an incremental backup with --overlap 1s, because the data is seconds old; keep the default 5m in production")
	if err := timer.run("incremental", func() error {
		return runTool(ctx, bin, append(backupArgs(opts, source.server.ConnectionString(), output, keys),
			"--incremental", "--overlap", "1s", "--identity", keys.identity)...)
	}); err != nil {
		return false, err
	}
	incremental, err := filepath.Glob(filepath.Join(output, "*-incr"))
	if err != nil || len(incremental) != 1 {
		return false, fmt.Errorf("expected one incremental backup folder in %s, found %v", output, incremental)
	}
	if sum.incrementalBytes, err = folderSize(incremental[0]); err != nil {
		return false, err
	}

	if err := timer.run("verify", func() error {
		return runTool(ctx, bin, "verify", "--identity", keys.identity, "--verify-key", keys.verifyKey, output)
	}); err != nil {
		return false, err
	}
	if err := runTool(ctx, bin, "list", output); err != nil {
		return false, err
	}

	if err := timer.run("restore", func() error {
		return runTool(ctx, bin, "restore", "--connection-string", target.server.ConnectionString(), "--input", output,
			"--identity", keys.identity, "--verify-key", keys.verifyKey)
	}); err != nil {
		return false, err
	}

	logf("comparing every entity of Azurite A and B")
	if err := timer.run("compare", func() error {
		report, err := compare.Accounts(ctx, source.service, target.service, comparedTables(opts.defaultSet))
		sum.report = report
		return err
	}); err != nil {
		return false, err
	}
	sum.notCompared = notCompared(comparedTables(opts.defaultSet))

	printSummary(out, sum)
	return sum.report.Identical(), nil
}

// notCompared returns the seeded tables that the demo's backup command
// leaves out, in the order sampledata lists them.
func notCompared(compared []string) []string {
	var out []string
	for _, name := range sampledata.Tables() {
		if !slices.Contains(compared, name) {
			out = append(out, name)
		}
	}
	return out
}

type account struct {
	server  *azurite.Server
	service *tables.Service
}

func startAzurite(ctx context.Context) (account, error) {
	server, err := azurite.Start(ctx)
	if err != nil {
		return account{}, fmt.Errorf("start Azurite: %w", err)
	}
	svc, err := server.Service()
	if err != nil {
		server.Stop()
		return account{}, err
	}
	return account{server: server, service: svc}, nil
}

// stepTimer records the duration of each step in the order they ran.
type stepTimer struct {
	names     []string
	durations []time.Duration
}

func (t *stepTimer) run(name string, step func() error) error {
	start := time.Now()
	err := step()
	t.names = append(t.names, name)
	t.durations = append(t.durations, time.Since(start))
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s failed: %w", name, err)
	}
	return err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "demo: "+format+"\n", args...)
}
