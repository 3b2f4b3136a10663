package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/tables"
)

// environment holds the output streams and the logger that every command
// shares. setup configures the logger from the global flags.
type environment struct {
	stdout, stderr io.Writer
	log            zerolog.Logger
	ready          bool
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "log-level",
			Value:   "info",
			Usage:   "minimum `LEVEL` of log lines on stderr: debug, info, warn or error (the .NET names such as Information are accepted too)",
			EnvVars: []string{"AUTHAGONAL_TABLES_LOG_LEVEL"},
		},
		&cli.StringFlag{
			Name:    "log-format",
			Value:   logging.FormatAuto,
			Usage:   "log `FORMAT`: console, json, or auto (console on a terminal, JSON otherwise)",
			EnvVars: []string{"AUTHAGONAL_TABLES_LOG_FORMAT"},
		},
	}
}

func (env *environment) setup(c *cli.Context) error {
	log, err := logging.New(env.stderr, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return fmt.Errorf("%w%s", err, fromEnvironment(c, "log-level", "log-format"))
	}
	env.log = log
	env.ready = true
	logging.EnableBars()
	return nil
}

// serviceFlags are the flags of every command that talks to the service:
// the connection string and the retry policy of its HTTP requests.
func serviceFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{
			Name:    "connection-string",
			Usage:   "Azure Storage `CONNECTION_STRING` of the account; UseDevelopmentStorage=true means a local Azurite on its default port",
			EnvVars: []string{"STORAGE_CONNECTION_STRING"},
		},
		&cli.StringFlag{
			Name:    "account-url",
			Usage:   "table endpoint `URL` of the account, such as https://myaccount.table.core.windows.net; without --sas, sign in with Azure AD (managed identity, workload identity, environment, Azure CLI)",
			EnvVars: []string{"STORAGE_ACCOUNT_URL"},
		},
		&cli.StringFlag{
			Name:    "sas",
			Usage:   "SAS `TOKEN` (sv=...&sig=...) for --account-url, or a whole SAS URL; read-only (r, l) is enough for backup",
			EnvVars: []string{"STORAGE_SAS_TOKEN"},
		},
		&cli.IntFlag{
			Name:    "max-retries",
			Value:   tables.DefaultMaxRetries,
			Usage:   "`N` retries of a failed request (throttling, server busy, timeouts, network errors) before giving up; 0 for none",
			EnvVars: []string{"AUTHAGONAL_TABLES_MAX_RETRIES"},
		},
		&cli.DurationFlag{
			Name:    "retry-delay",
			Value:   tables.DefaultRetryDelay,
			Usage:   "first delay between tries, a `DURATION` such as 500ms or 2s; it grows with each retry, with jitter, unless the service sends Retry-After",
			EnvVars: []string{"AUTHAGONAL_TABLES_RETRY_DELAY"},
		},
		&cli.DurationFlag{
			Name:    "max-retry-delay",
			Value:   tables.DefaultMaxRetryDelay,
			Usage:   "maximum delay between tries, a `DURATION` such as 30s",
			EnvVars: []string{"AUTHAGONAL_TABLES_MAX_RETRY_DELAY"},
		},
		&cli.DurationFlag{
			Name:    "try-timeout",
			Value:   tables.DefaultTryTimeout,
			Usage:   "time limit of one try of one request, a `DURATION` such as 1m",
			EnvVars: []string{"AUTHAGONAL_TABLES_TRY_TIMEOUT"},
		},
	}
}

func tablesFlag(usage, envVar string) cli.Flag {
	return &cli.StringFlag{Name: "tables", Usage: usage + "; `NAMES` separated by commas", EnvVars: []string{envVar}}
}

// connect reads the sign-in flags and prepares a client. It sends no
// request, so a bad value fails before any work.
func connect(env *environment, c *cli.Context) (*tables.Service, error) {
	account, err := accountFromFlags(env, c)
	if err != nil {
		return nil, err
	}
	retries := c.Int("max-retries")
	if retries < 0 {
		return nil, fmt.Errorf("invalid --max-retries %d: expected 0 or more", retries)
	}
	if retries == 0 {
		retries = -1 // tables.Options reads 0 as the default
	}
	for _, name := range []string{"retry-delay", "max-retry-delay", "try-timeout"} {
		if c.Duration(name) <= 0 {
			return nil, fmt.Errorf("invalid --%s %s: expected a positive duration such as 2s", name, c.Duration(name))
		}
	}
	return tables.Connect(account, tables.Options{
		MaxRetries:    retries,
		RetryDelay:    c.Duration("retry-delay"),
		MaxRetryDelay: c.Duration("max-retry-delay"),
		TryTimeout:    c.Duration("try-timeout"),
		Log:           env.log,
	})
}

func parallelFlag(value int, usage string) cli.Flag {
	return &cli.IntFlag{Name: "parallel", Value: value, Usage: usage, EnvVars: []string{"AUTHAGONAL_TABLES_PARALLEL"}}
}

// maxParallel caps --parallel, so that a typo such as 1000 cannot open a
// thousand connections to the service.
const maxParallel = 64

// parallel returns the --parallel value after checking it.
func parallel(c *cli.Context) (int, error) {
	n := c.Int("parallel")
	if n < 1 || n > maxParallel {
		return 0, fmt.Errorf("invalid --parallel %d: expected 1 to %d%s", n, maxParallel, fromEnvironment(c, "parallel"))
	}
	return n, nil
}

// tableList parses the --tables flag; nil means the flag was not given.
func tableList(c *cli.Context) ([]string, error) {
	if !c.IsSet("tables") {
		return nil, nil
	}
	names, err := tables.ParseList(c.String("tables"))
	if err != nil {
		return nil, fmt.Errorf("--tables: %w%s", err, fromEnvironment(c, "tables"))
	}
	return names, nil
}

// noArgs rejects positional arguments that a command does not take; a
// stray word is usually a mistyped flag.
func noArgs(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q; %s takes flags only, see --help", c.Args().First(), c.Command.Name)
	}
	return nil
}

// fromEnvironment returns " (set by $NAME)" when the value of one of the
// named flags came from its environment variable, so that an error about
// the value points to where it was set.
func fromEnvironment(c *cli.Context, names ...string) string {
	for _, f := range append(c.App.Flags, c.Command.Flags...) {
		sf, ok := f.(*cli.StringFlag)
		if !ok {
			continue
		}
		for _, name := range names {
			if sf.Name != name {
				continue
			}
			for _, env := range sf.EnvVars {
				if v, ok := os.LookupEnv(env); ok && v == c.String(name) && !onCommandLine(name) {
					return " (set by $" + env + ")"
				}
			}
		}
	}
	return ""
}

// onCommandLine reports whether the flag appears in the process's
// arguments.
func onCommandLine(name string) bool {
	for _, arg := range os.Args[1:] {
		if arg == "--"+name || strings.HasPrefix(arg, "--"+name+"=") || arg == "-"+name || strings.HasPrefix(arg, "-"+name+"=") {
			return true
		}
	}
	return false
}

// newCredential builds the Azure AD credential of --account-url. Tests
// replace it.
var newCredential = func() (azcore.TokenCredential, error) {
	return azidentity.NewDefaultAzureCredential(nil)
}

// accountFromFlags chooses how to sign in: a connection string, a SAS
// token or URL, or Azure AD for --account-url alone.
func accountFromFlags(env *environment, c *cli.Context) (tables.Account, error) {
	conn := strings.TrimSpace(c.String("connection-string"))
	accountURL := strings.TrimSpace(c.String("account-url"))
	sas := strings.TrimSpace(c.String("sas"))
	switch {
	case conn != "" && (accountURL != "" || sas != ""):
		return tables.Account{}, errors.New("give either a connection string or --account-url/--sas, not both" +
			fromEnvironment(c, "connection-string", "account-url", "sas"))
	case conn != "":
		account, err := tables.ParseConnectionString(conn)
		if err != nil {
			return tables.Account{}, fmt.Errorf("--connection-string: %w", err)
		}
		return account, nil
	case sas != "":
		account, err := tables.NewSASAccount(accountURL, sas)
		if err != nil {
			return tables.Account{}, fmt.Errorf("--sas: %w", err)
		}
		return account, nil
	case accountURL != "":
		cred, err := newCredential()
		if err != nil {
			return tables.Account{}, fmt.Errorf("--account-url: no Azure AD credential found (%s); sign in with az login, or set up a managed identity or workload identity, or give --sas or a connection string", tables.Redact(err.Error()))
		}
		account, err := tables.NewTokenAccount(accountURL, cred)
		if err != nil {
			return tables.Account{}, fmt.Errorf("--account-url: %w", err)
		}
		env.log.Debug().Str("account", account.String()).Msg("signing in with Azure AD")
		return account, nil
	}
	return tables.Account{}, errors.New("missing credentials: set --connection-string (STORAGE_CONNECTION_STRING), or --account-url (STORAGE_ACCOUNT_URL) for Azure AD, with --sas (STORAGE_SAS_TOKEN) for a SAS token")
}

// prefixFlag is the table name prefix of backup.
func prefixFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "table-prefix",
		Usage:   "`PREFIX` of every physical table name, for hosts that prefix them (multi-tenant); tables are named without it everywhere else, and the manifest records it",
		EnvVars: []string{"AUTHAGONAL_TABLES_TABLE_PREFIX"},
	}
}
