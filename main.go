// Command authagonal-tables backs up and restores Azure Table Storage.
//
// main only builds the command line, runs the command and turns its error
// into an exit code. The backup, restore and manifest packages do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/restore"
	"github.com/authagonal/authagonal-tables/tables"
)

// Exit codes, the same for every command.
const (
	exitOK          = 0
	exitError       = 1
	exitPartial     = 2
	exitInterrupted = 130
)

const exitCodesHelp = `GLOBAL OPTIONS such as --log-level go before the command name:
   authagonal-tables --log-format json backup ...

EXIT CODES:
   0    success
   1    error: bad arguments, invalid input, failed verification, service unreachable
   2    partial success: a restore finished, but some entities were not written; each is named
   130  interrupted by SIGINT or SIGTERM`

// commandExitCodes is exitCodesHelp indented for a command's description,
// which the help template indents once more.
var commandExitCodes = strings.ReplaceAll(exitCodesHelp, "\n   ", "\n  ")

// commandExitCodesNoPartial is commandExitCodes without exit code 2, for
// the commands that cannot return it: only a restore is a partial success.
var commandExitCodesNoPartial = removeLine(commandExitCodes, "  2    ")

// removeLine removes the line of text that starts with prefix.
func removeLine(text, prefix string) string {
	lines := strings.Split(text, "\n")
	out := lines[:0]
	for _, line := range lines {
		if !strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// softMemoryLimit makes the garbage collector work harder as the heap
// nears it, instead of letting the heap grow to twice what is live. Every
// buffer the tool keeps is bounded, so the live heap stays well below it;
// GOMEMLIMIT in the environment overrides it.
const softMemoryLimit = 100 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal stops the command cleanly: a backup removes its
		// temporary folder, a restore finishes the batches in flight. A
		// second one exits at once, for a service that stopped responding.
		<-signals
		cancel()
		<-signals
		fmt.Fprintln(os.Stderr, "authagonal-tables: second interrupt, exiting now; batches in flight may or may not be applied, so run the restore again, and a backup's temporary folder is removed by a later backup")
		os.Exit(exitInterrupted)
	}()
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	signal.Stop(signals)
	cancel()
	os.Exit(code)
}

// run executes the command line args and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	env := &environment{stdout: stdout, stderr: stderr, log: zerolog.New(stderr)}
	app := newApp(env)
	if isCompletionRequest(args) {
		printCompletions(stdout, app, args[1:len(args)-1])
		return exitOK
	}
	err := app.RunContext(ctx, args)
	logging.StopBars()
	code := exitCode(ctx, err)
	if code == exitInterrupted {
		err = fmt.Errorf("interrupted by a signal: %w", err)
	}
	if err != nil {
		env.printError(err)
	}
	return code
}

// exitCode maps the error of a command to the process exit code.
func exitCode(ctx context.Context, err error) int {
	var partial *restore.PartialError
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		// A signal cancelled the root context; whatever failed after
		// that failed because of it.
		return exitInterrupted
	case errors.As(err, &partial):
		return exitPartial
	}
	return exitError
}

// printError prints the final error once, through the logger when it is
// set up, with every known secret removed.
func (env *environment) printError(err error) {
	msg := tables.Redact(err.Error())
	if env.ready {
		env.log.Error().Msg(msg)
		return
	}
	fmt.Fprintln(env.stderr, "authagonal-tables: error:", msg)
}

func newApp(env *environment) *cli.App {
	return &cli.App{
		Name:    "authagonal-tables",
		Usage:   "back up, verify and restore Azure Table Storage",
		Version: toolVersion(),
		Description: "Backs up tables of an Azure Table Storage account (Azure, Azurite or the Cosmos DB Table API) " +
			"to a folder of JSON Lines files with a SHA-256 manifest, verifies such a folder, and restores it " +
			"with every key, value and type intact. Without --tables, backup takes the tables of the Authagonal " +
			"identity server. Run completion --help to set up shell completion, and man for the manual page.",
		Flags:                  globalFlags(),
		Before:                 env.setup,
		Commands:               []*cli.Command{backupCommand(env), verifyCommand(env), restoreCommand(env), listCommand(env), keygenCommand(env), pruneCommand(env), completionCommand(env), manCommand(env)},
		Writer:                 env.stdout,
		ErrWriter:              env.stderr,
		UseShortOptionHandling: false,
		Suggest:                true,
		ExitErrHandler:         func(*cli.Context, error) {},
		Action:                 unknownCommand,
		OnUsageError:           usageError,
		CustomAppHelpTemplate:  cli.AppHelpTemplate + "\n" + exitCodesHelp + "\n",
	}
}

// usageError turns a flag parsing error into a plain error, so that main
// prints it once and exits 1. It names the flag that a mistyped one was
// most likely meant to be.
func usageError(c *cli.Context, err error, _ bool) error {
	for _, f := range globalFlags() {
		for _, name := range f.Names() {
			if strings.Contains(err.Error(), "-"+name) {
				return fmt.Errorf("%w; --%s is a global option and goes before the command name, as in: authagonal-tables --%s ... backup", err, name, name)
			}
		}
	}
	if s := suggestFlag(c, err); s != "" {
		return fmt.Errorf("%w; did you mean %s? Run with --help for usage", err, s)
	}
	return fmt.Errorf("%w; run with --help for usage", err)
}

// unknownCommand runs when the first argument is not a command.
func unknownCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	name := c.Args().First()
	if name == "version" {
		return fmt.Errorf("unknown command %q; use --version", name)
	}
	var names []string
	for _, cmd := range c.App.VisibleCommands() {
		names = append(names, cmd.Name)
	}
	msg := fmt.Sprintf("unknown command %q; the commands are %s", name, joinAnd(names))
	if cli.SuggestCommand != nil {
		if s := cli.SuggestCommand(c.App.Commands, name); s != "" {
			msg += ". " + s
		}
	}
	return errors.New(msg)
}

// joinAnd joins words as in "a, b and c".
func joinAnd(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	last := len(words) - 1
	return strings.Join(words[:last], ", ") + " and " + words[last]
}

func toolVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return "dev"
}
