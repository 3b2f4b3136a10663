package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/rs/zerolog"
	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/tables"
)

// environment is what every command shares: its output streams and the
// logger, which setup configures from the global flags.
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
			Usage:   "minimum level of log lines on stderr: debug, info, warn or error",
			EnvVars: []string{"LOG_LEVEL"},
		},
		&cli.StringFlag{
			Name:    "log-format",
			Value:   logging.FormatAuto,
			Usage:   "log format: console, json, or auto (console on a terminal, JSON otherwise)",
			EnvVars: []string{"LOG_FORMAT"},
		},
	}
}

func (env *environment) setup(c *cli.Context) error {
	log, err := logging.New(env.stderr, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	env.log = log
	env.ready = true
	return nil
}

func connectionFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "connection-string",
		Usage:   "Azure Storage connection string of the account (`CONNECTION_STRING`); UseDevelopmentStorage=true means a local Azurite",
		EnvVars: []string{"STORAGE_CONNECTION_STRING"},
	}
}

func tablesFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "tables", Usage: usage + " (comma-separated `NAMES`)"}
}

// connect parses the connection string flag and prepares a client. It sends
// no request, so a bad value fails before any work.
func connect(c *cli.Context) (*tables.Service, error) {
	s := c.String("connection-string")
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("missing connection string: set --connection-string or STORAGE_CONNECTION_STRING")
	}
	account, err := tables.ParseConnectionString(s)
	if err != nil {
		return nil, fmt.Errorf("--connection-string: %w", err)
	}
	return tables.Connect(account, tables.Options{})
}

// tableList parses the --tables flag; nil means the flag was not given.
func tableList(c *cli.Context) ([]string, error) {
	if !c.IsSet("tables") {
		return nil, nil
	}
	names, err := tables.ParseList(c.String("tables"))
	if err != nil {
		return nil, fmt.Errorf("--tables: %w", err)
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
