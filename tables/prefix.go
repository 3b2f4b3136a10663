package tables

import (
	"fmt"
	"strings"
)

// WithPrefix returns a copy of s in which every table name is logical: the
// service receives prefix+name. Hosts that keep several tenants in one account
// prefix every physical table name, and a restore can write into another
// prefix to build an isolated copy. An empty prefix returns s.
func (s *Service) WithPrefix(prefix string) (*Service, error) {
	if prefix == "" {
		return s, nil
	}
	if err := ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	c := *s
	c.prefix = prefix
	return &c, nil
}

// Prefix returns the table name prefix of s.
func (s *Service) Prefix() string { return s.prefix }

// TableName returns the physical name of the logical table name.
func (s *Service) TableName(name string) string { return s.prefix + name }

// ValidatePrefix checks a table name prefix: letters and digits, starting
// with a letter, so that prefix+name is a valid table name whenever name
// is one and the whole fits in 63 characters.
func ValidatePrefix(prefix string) error {
	if len(prefix) > 60 {
		return fmt.Errorf("invalid table prefix %q: at most 60 characters, so that a table name still fits", prefix)
	}
	return checkCharacters("table prefix", prefix)
}

// logicalNames keeps the names that start with the prefix, without it.
// Table names are case-insensitive in the service, so the prefix is too.
func (s *Service) logicalNames(names []string) []string {
	if s.prefix == "" {
		return names
	}
	var out []string
	for _, name := range names {
		if len(name) > len(s.prefix) && strings.EqualFold(name[:len(s.prefix)], s.prefix) {
			out = append(out, name[len(s.prefix):])
		}
	}
	return out
}
