package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/entity"
)

// legacyTypesFlag is the flag of verify and restore that chooses how the
// values of a backup of the Authagonal .NET backup tool are typed.
func legacyTypesFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "legacy-types",
		Value:   string(entity.LegacyInfer),
		Usage:   "for a backup of the Authagonal .NET backup tool, whose lines carry no types: `MODE` infer (GUID and ISO 8601 date-time strings become Guid and DateTime, as the .NET tool did) or string (every string stays a String)",
		EnvVars: []string{"AUTHAGONAL_TABLES_LEGACY_TYPES"},
	}
}

// legacyTypes returns the --legacy-types value after checking it.
func legacyTypes(c *cli.Context) (entity.LegacyTypes, error) {
	types, err := entity.ParseLegacyTypes(c.String("legacy-types"))
	if err != nil {
		return "", fmt.Errorf("%w%s", err, fromEnvironment(c, "legacy-types"))
	}
	return types, nil
}

// logWarnings logs each warning of a verification.
func logWarnings(env *environment, warnings []string) {
	for _, w := range warnings {
		env.log.Warn().Msg(w)
	}
}
