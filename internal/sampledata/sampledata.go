// Package sampledata generates a realistic, deterministic Authagonal data
// set for the tests, the demo and the benchmark. It contains users with
// their e-mail and login lookups, OAuth clients, grants, MFA credentials,
// SSO and SCIM configuration, signing keys and a few rows of the transient
// tables. The extra EdmTypes table contains every EDM type with its edge
// values.
//
// Entities come as values of the backup line format, so each one's
// AppendLine output is accepted by entity.Parse. The same Options always
// produce the same entities: the generator draws from a seeded
// math/rand/v2 source and dates everything relative to BaseTime, never the
// wall clock.
package sampledata

import (
	"slices"
	"time"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/tables"
)

// DefaultUsers is the number of users when Options.Users is not positive.
// It makes a data set of about 20,000 entities.
const DefaultUsers = 1800

// EdmTypes is the extra table that contains one or more values of every EDM
// type, including extremes and strings that look like other types.
const EdmTypes = "EdmTypes"

// SandboxPrefix starts every PartitionKey of the users that live in the
// sandbox environment, and of every row that belongs to them.
const SandboxPrefix = "sandbox-1|"

// BaseTime is the "now" of the data set. Most creation and login times lie
// before it, and most expiry times after it.
var BaseTime = time.Date(2026, 3, 29, 12, 0, 0, 0, time.UTC)

// Options select the size and content of the data set.
type Options struct {
	// Users is the number of users. Zero or less means DefaultUsers. Most
	// other tables grow with it.
	Users int
	// Seed selects the data set. Every seed, zero included, gives its own
	// reproducible set.
	Seed int64
}

func (o Options) users() int {
	if o.Users <= 0 {
		return DefaultUsers
	}
	return o.Users
}

// Tables returns the name of every table that Generate fills: the default
// Authagonal set, the transient tables, SigningKeys and EdmTypes.
func Tables() []string {
	names := slices.Clone(tables.Default)
	names = append(names, tables.Transient...)
	return append(names, tables.SigningKeys, EdmTypes)
}

// Generate builds the data set and returns its entities by table name.
// Every name from Tables is present. Within a table, keys are unique and
// entities come in the order they were generated, not in key order.
func Generate(opts Options) map[string][]*entity.Entity {
	g := &generator{
		src:    newSource(opts.Seed),
		set:    make(map[string][]*entity.Entity),
		emails: make(map[string]bool),
		logins: make(map[string]bool),
	}
	for _, name := range Tables() {
		g.set[name] = nil
	}

	g.addRoles()
	g.addClients()
	g.addIdentityProviders()
	g.addScimTokens()
	for range opts.users() {
		g.addUser()
	}
	g.addScimGroups()
	g.addSigningKeys()
	g.addTransientRows()
	g.addEdmTypes()
	return g.set
}

// Count returns the number of entities in set.
func Count(set map[string][]*entity.Entity) int {
	n := 0
	for _, entities := range set {
		n += len(entities)
	}
	return n
}

// generator accumulates the data set. Later steps refer to what earlier
// steps made: users get grants for the generated clients, SCIM groups list
// the generated users.
type generator struct {
	src *source
	set map[string][]*entity.Entity
	// emails contains every normalised e-mail address in use, because
	// UserEmails is keyed by it and a duplicate would overwrite a user.
	emails map[string]bool
	// logins contains every UserLogins lookup key in use, for the same
	// reason.
	logins map[string]bool

	roleNames []string
	clients   []client
	users     []user
}

func (g *generator) put(table string, b *builder) {
	g.set[table] = append(g.set[table], b.e)
}
