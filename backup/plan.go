package backup

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/rs/zerolog"

	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/manifest"
	"github.com/authagonal/authagonal-tables/tables"
)

// plan is the set of tables one backup reads.
type plan struct {
	// Tables are the names to back up, spelled as the service lists them.
	Tables   []string
	Missing  []string
	Excluded []manifest.Excluded
	// Others are the account's tables outside the default set, which a
	// backup without --tables leaves out.
	Others []string
}

// Reasons recorded in the manifest for tables left out.
const (
	reasonTransient   = "transient protocol state; name it in --tables to back it up"
	reasonSigningKeys = "holds the JWT signing private key; pass --include-signing-keys to back it up"
)

// makePlan resolves which tables to back up. With no explicit list it takes
// the Authagonal default set and skips, with a warning, the tables the
// account lacks. An explicit table that does not exist is an error. Table
// names are case-insensitive in the service.
func makePlan(ctx context.Context, svc *tables.Service, opts Options, log zerolog.Logger) (plan, error) {
	existing, err := svc.ListTables(ctx)
	if err != nil {
		return plan{}, err
	}
	actual := map[string]string{}
	for _, name := range existing {
		actual[strings.ToLower(name)] = name
	}

	var p plan
	if opts.AllTables {
		if len(existing) == 0 {
			return plan{}, fmt.Errorf("--all-tables: %s has no tables%s", svc.Account(), prefixNote(svc))
		}
		p.Tables = append([]string{}, existing...)
		sort.Strings(p.Tables)
	} else if opts.Tables != nil {
		var missing []string
		for _, name := range opts.Tables {
			if real, ok := actual[strings.ToLower(name)]; ok {
				p.Tables = append(p.Tables, real)
			} else {
				missing = append(missing, name)
			}
		}
		if len(missing) > 0 {
			return plan{}, fmt.Errorf("table(s) %s not found in %s%s; the account has %s",
				strings.Join(missing, ", "), svc.Account(), prefixNote(svc), describeTables(existing))
		}
	} else {
		wanted := append([]string{}, tables.Default...)
		if opts.IncludeSigningKeys {
			wanted = append(wanted, tables.SigningKeys)
		} else {
			p.Excluded = append(p.Excluded, manifest.Excluded{Name: tables.SigningKeys, Reason: reasonSigningKeys})
		}
		for _, name := range tables.Transient {
			p.Excluded = append(p.Excluded, manifest.Excluded{Name: name, Reason: reasonTransient})
		}
		for _, name := range wanted {
			if real, ok := actual[strings.ToLower(name)]; ok {
				p.Tables = append(p.Tables, real)
				continue
			}
			p.Missing = append(p.Missing, name)
			log.Warn().Str(logging.Table, name).Msg("table of the default set not found in the account; skipping it")
		}
		p.Others = others(existing, wanted, p.Excluded)
		if len(p.Others) > 0 {
			log.Info().Strs("tables", p.Others).Msg("tables outside the Authagonal set are not backed up; name them in --tables to back them up")
		}
		if len(p.Tables) == 0 {
			return plan{}, fmt.Errorf("none of the %d Authagonal tables exist in %s%s; check the connection string and --table-prefix, or name the tables to back up with --tables",
				len(wanted), svc.Account(), prefixNote(svc))
		}
	}

	for _, name := range p.Tables {
		// Encrypted, the key is as safe as every other secret in the
		// backup, so the warning is for plaintext backups only.
		if strings.EqualFold(name, tables.SigningKeys) && len(opts.Keys.Recipients) == 0 {
			log.Warn().Str(logging.Table, name).Msg("the backup is not encrypted and includes SigningKeys, so it holds the JWT signing private key in plaintext: anyone who reads it can sign tokens as the identity server; encrypt backups with --encrypt-to")
		}
	}
	return p, nil
}

// prefixNote names the table prefix in messages about missing tables.
func prefixNote(svc *tables.Service) string {
	if svc.Prefix() == "" {
		return ""
	}
	return fmt.Sprintf(" with the table prefix %q", svc.Prefix())
}

// others returns the existing tables that are neither wanted nor excluded.
func others(existing, wanted []string, excluded []manifest.Excluded) []string {
	known := map[string]bool{}
	for _, name := range wanted {
		known[strings.ToLower(name)] = true
	}
	for _, x := range excluded {
		known[strings.ToLower(x.Name)] = true
	}
	var out []string
	for _, name := range existing {
		if !known[strings.ToLower(name)] {
			out = append(out, name)
		}
	}
	return out
}

// describeTables lists table names for an error message, shortened when
// there are many.
func describeTables(names []string) string {
	const maxNamed = 30
	switch {
	case len(names) == 0:
		return "no tables"
	case len(names) > maxNamed:
		return fmt.Sprintf("%d tables: %s, ...", len(names), strings.Join(names[:maxNamed], ", "))
	}
	return fmt.Sprintf("%d table(s): %s", len(names), strings.Join(names, ", "))
}
