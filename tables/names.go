// Package tables defines the Authagonal table set and is the client of a
// Table Storage account. It parses connection strings, lists and creates
// tables, pages through entities and sends entity group transactions.
package tables

import (
	"fmt"
	"strings"
)

// Default is the Authagonal table set that backup takes when no --tables
// flag is given, in the order it is backed up.
var Default = []string{
	"Users", "UserEmails", "UserLogins", "UserExternalIds",
	"Clients",
	"Grants", "GrantsBySubject", "GrantsByExpiry",
	"SsoDomains", "SamlProviders", "OidcProviders",
	"UserProvisions",
	"MfaCredentials", "MfaChallenges", "MfaWebAuthnIndex",
	"ScimTokens", "ScimGroups", "ScimGroupExternalIds",
	"Roles",
}

// Transient tables hold short-lived protocol state that is worthless after a
// restore; they are backed up only when named explicitly.
var Transient = []string{"SamlReplayCache", "OidcStateStore"}

// SigningKeys is the table that holds the JWT signing private key.
const SigningKeys = "SigningKeys"

// ValidateName checks a table name against the service's rules: 3 to 63
// characters, ASCII letters and digits only, not starting with a digit.
// "tables" is reserved.
func ValidateName(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("invalid table name %q: it must be 3 to 63 characters long", name)
	}
	if err := checkCharacters("table name", name); err != nil {
		return err
	}
	if strings.EqualFold(name, "tables") {
		return fmt.Errorf("invalid table name %q: the name is reserved by the service", name)
	}
	return nil
}

// checkCharacters checks the characters of a table name or of a part of
// one: ASCII letters and digits, starting with a letter. what names the
// value in the error, such as "table name".
func checkCharacters(what, s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		isLetter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		isDigit := '0' <= c && c <= '9'
		if i == 0 && !isLetter {
			return fmt.Errorf("invalid %s %q: it must start with a letter", what, s)
		}
		if !isLetter && !isDigit {
			return fmt.Errorf("invalid %s %q: only letters and digits are allowed", what, s)
		}
	}
	return nil
}

// ParseList splits a comma-separated list of table names, trims spaces,
// validates each name and rejects duplicates. Table names are
// case-insensitive in the service, so "users,Users" is a duplicate.
func ParseList(list string) ([]string, error) {
	var names []string
	seen := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if err := ValidateName(name); err != nil {
			return nil, err
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("table %q is listed twice", name)
		}
		seen[strings.ToLower(name)] = true
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("empty table list %q: give comma-separated table names such as Users,Clients", list)
	}
	return names, nil
}
