package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// undefinedFlagPrefix starts the error of Go's flag package for a flag
// that the command does not define; the flag name follows it.
const undefinedFlagPrefix = "flag provided but not defined: -"

// maxSuggestionDistance is the largest edit distance between a mistyped
// flag and the flag suggested for it. Two covers a missing, extra, wrong
// or swapped letter, and keeps unrelated names from being suggested.
const maxSuggestionDistance = 2

// suggestFlag returns the flag of the command in c, such as "--output",
// that the undefined flag of err was most likely meant to be: a flag that
// starts with it, or the nearest within maxSuggestionDistance edits. It
// returns "" when err is about something else or no flag is near.
func suggestFlag(c *cli.Context, err error) string {
	typed, ok := strings.CutPrefix(err.Error(), undefinedFlagPrefix)
	if !ok {
		return ""
	}
	typed = strings.TrimLeft(typed, "-")
	typed, _, _ = strings.Cut(typed, "=")
	names := []string{"help"}
	if c != nil && c.Command != nil {
		for _, f := range c.Command.Flags {
			names = append(names, f.Names()...)
		}
	}

	best, bestDistance := "", maxSuggestionDistance+1
	for _, name := range names {
		d := editDistance(typed, name)
		if len(typed) >= 3 && strings.HasPrefix(name, typed) {
			d = 1 // an unfinished name is as good as one typo
		}
		if d < bestDistance {
			best, bestDistance = name, d
		}
	}
	if best == "" {
		return ""
	}
	return dashes(best) + best
}

// editDistance returns the Levenshtein distance between a and b, counting
// bytes, which is enough for the ASCII names of flags.
func editDistance(a, b string) int {
	previous := make([]int, len(b)+1)
	current := make([]int, len(b)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(a); i++ {
		current[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous, current = current, previous
	}
	return previous[len(b)]
}

// dashes returns the dashes before a flag name: one for a single letter,
// two otherwise.
func dashes(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}
