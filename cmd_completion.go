package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/authagonal/authagonal-tables/entity"
	"github.com/authagonal/authagonal-tables/internal/logging"
	"github.com/authagonal/authagonal-tables/restore"
)

// completionFlag is the hidden last argument with which the completion
// scripts request the candidates for the last word typed. It keeps the
// name of urfave/cli's built-in completion flag, but run handles it before
// the app parses anything, so that no command ever runs with it. urfave/cli
// v2.27 would run the command when the words contain "--", and reads the
// words from os.Args instead of the arguments it is given.
const completionFlag = "--generate-bash-completion"

// shells are the shells that completion writes a script for.
var shells = []string{"bash", "zsh", "fish"}

// flagValues are the values offered after flags that take one of a few
// words, by flag name.
var flagValues = map[string][]string{
	"log-level":    {"debug", "info", "warn", "error"},
	"log-format":   {logging.FormatAuto, logging.FormatConsole, logging.FormatJSON},
	"mode":         {string(restore.Upsert), string(restore.Merge), string(restore.Clean)},
	"legacy-types": {string(entity.LegacyInfer), string(entity.LegacyString)},
}

// commandArgs are the values offered for the arguments of a command, by
// command name. Commands not listed take file names or nothing.
var commandArgs = map[string][]string{
	"completion": shells,
}

func completionCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "completion",
		Usage:           "print the shell completion script for bash, zsh or fish",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables completion bash|zsh|fish",
		Description: `Prints a script that completes the commands, flags and flag values of
authagonal-tables. The script asks the program for the candidates on every Tab,
through a hidden flag that never runs a command, so it stays correct after an
upgrade. Where no candidate fits, such as after --output, file names are offered.

bash, for the current shell or, with bash-completion 2, for every new shell:
  source <(authagonal-tables completion bash)
  authagonal-tables completion bash > ~/.local/share/bash-completion/completions/authagonal-tables

zsh, after compinit in ~/.zshrc; or save it as _authagonal-tables in a folder that
is on $fpath before compinit runs:
  source <(authagonal-tables completion zsh)
  authagonal-tables completion zsh > ~/.zfunc/_authagonal-tables

fish, which loads it for every new shell:
  authagonal-tables completion fish > ~/.config/fish/completions/authagonal-tables.fish

` + commandExitCodesNoPartial,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return errors.New("completion takes exactly one argument, the shell: bash, zsh or fish")
			}
			script, err := completionScript(c.Args().First())
			if err != nil {
				return err
			}
			_, err = io.WriteString(env.stdout, script)
			return err
		},
	}
}

// completionScript returns the completion script for shell.
func completionScript(shell string) (string, error) {
	switch shell {
	case "bash":
		return bashCompletion, nil
	case "zsh":
		return zshCompletion, nil
	case "fish":
		return fishCompletion, nil
	}
	return "", fmt.Errorf("unknown shell %q: expected bash, zsh or fish", shell)
}

// isCompletionRequest reports whether the command line args, program name
// first, ask for completion candidates.
func isCompletionRequest(args []string) bool {
	return len(args) > 1 && args[len(args)-1] == completionFlag
}

// printCompletions writes the candidates for the last of words, the words
// typed after the program name, one per line as the candidate, a tab and a
// description. The last word may be empty. It writes nothing when the
// shell should offer file names instead.
func printCompletions(w io.Writer, app *cli.App, words []string) {
	current := ""
	if len(words) > 0 {
		current, words = words[len(words)-1], words[:len(words)-1]
	}
	state := walkWords(app, words)
	switch {
	case state.unknown:
		return
	case state.valueOf != "":
		printValues(w, "", state.valueOf, strings.TrimPrefix(current, "="))
	case strings.HasPrefix(current, "-") && !state.argsOnly:
		name, value, hasValue := strings.Cut(strings.TrimLeft(current, "-"), "=")
		if hasValue {
			printValues(w, current[:len(current)-len(value)], name, value)
			return
		}
		printFlags(w, state, current)
	case state.command == nil:
		for _, cmd := range app.VisibleCommands() {
			printCandidate(w, cmd.Name, cmd.Usage, current)
		}
		printCandidate(w, "help", "show the commands, or the help of one command", current)
	default:
		for _, arg := range commandArgs[state.command.Name] {
			printCandidate(w, arg, "", current)
		}
	}
}

// completionState is the state of the command line after the words typed
// before the current one.
type completionState struct {
	command    *cli.Command    // nil before the command name
	flags      []cli.Flag      // the flags of command, or the global flags
	givenFlags map[string]bool // flags on the command line already, by name
	valueOf    string          // the flag whose value comes next, if any
	argsOnly   bool            // after "--", every word is an argument
	unknown    bool            // the word in the command position names no command
}

// walkWords finds the command and the flags given in words. Bash splits
// --name=value into three words, so "=" after a flag that takes a value
// keeps that flag waiting for its value.
func walkWords(app *cli.App, words []string) completionState {
	s := completionState{flags: app.Flags, givenFlags: map[string]bool{}}
	for _, word := range words {
		switch {
		case s.valueOf != "":
			if word != "=" {
				s.valueOf = ""
			}
		case s.argsOnly:
		case word == "--":
			s.argsOnly = true
		case strings.HasPrefix(word, "-") && len(word) > 1:
			name, _, hasValue := strings.Cut(strings.TrimLeft(word, "-"), "=")
			f := findFlag(s.flags, name)
			if f == nil {
				continue
			}
			s.givenFlags[f.Names()[0]] = true
			if takesValue(f) && !hasValue {
				s.valueOf = f.Names()[0]
			}
		case s.command == nil:
			s.command = app.Command(word)
			if s.command == nil {
				s.unknown = true
				return s
			}
			s.flags = s.command.Flags
			s.givenFlags = map[string]bool{}
		}
	}
	return s
}

// printFlags writes the flags of the command that start with prefix,
// leaving out those given already unless they can be repeated.
func printFlags(w io.Writer, s completionState, prefix string) {
	for _, f := range s.flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		name := f.Names()[0]
		if _, repeatable := f.(*cli.StringSliceFlag); s.givenFlags[name] && !repeatable {
			continue
		}
		usage := ""
		if d, ok := f.(cli.DocGenerationFlag); ok {
			usage = d.GetUsage()
		}
		printCandidate(w, "--"+name, usage, prefix)
	}
	printCandidate(w, "--help", "show help", prefix)
	if s.command == nil {
		printCandidate(w, "--version", "print the version", prefix)
	}
}

// printValues writes the values of the named flag that start with prefix,
// each after lead, such as "--mode=" when the value is typed in the same
// word as the flag.
func printValues(w io.Writer, lead, flag, prefix string) {
	for _, v := range flagValues[flag] {
		printCandidate(w, lead+v, "", lead+prefix)
	}
}

// printCandidate writes candidate and the first clause of its description
// when candidate starts with prefix.
func printCandidate(w io.Writer, candidate, description, prefix string) {
	if !strings.HasPrefix(candidate, prefix) {
		return
	}
	description = strings.ReplaceAll(description, "`", "")
	description, _, _ = strings.Cut(description, ";")
	if description == "" {
		fmt.Fprintln(w, candidate)
		return
	}
	fmt.Fprintf(w, "%s\t%s\n", candidate, description)
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	d, ok := f.(cli.DocGenerationFlag)
	return ok && d.TakesValue()
}

// The scripts pass the words typed so far, the current one included even
// when empty, and then completionFlag. The program prints one candidate a
// line with an optional tab and description. No output means file names.

const bashCompletion = `# bash completion for authagonal-tables
# Load it with: source <(authagonal-tables completion bash)

_authagonal_tables() {
    local current=${COMP_WORDS[COMP_CWORD]}
    local output line
    output=$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD}" ` + completionFlag + ` 2>/dev/null) || return 0
    # bash splits --name=value at "=", so the value is the current word.
    if [[ $current == "=" ]]; then
        current=
    fi
    COMPREPLY=()
    while IFS= read -r line; do
        line=${line%%$'\t'*}
        if [[ -n $line && $line == "$current"* ]]; then
            COMPREPLY+=("$line")
        fi
    done <<<"$output"
}

complete -o default -F _authagonal_tables authagonal-tables
`

const zshCompletion = `#compdef authagonal-tables
# zsh completion for authagonal-tables
# Load it with: source <(authagonal-tables completion zsh)
# or save it as _authagonal-tables in a folder on $fpath.

_authagonal-tables() {
    local -a lines candidates
    local line
    lines=(${(f)"$("${(Q)words[1]}" "${(@Q)words[2,CURRENT]}" ` + completionFlag + ` 2>/dev/null)"})
    if (( ${#lines} == 0 )); then
        _files
        return
    fi
    for line in $lines; do
        # _describe reads "candidate:description", so colons in a
        # candidate are escaped.
        if [[ $line == *$'\t'* ]]; then
            candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
        else
            candidates+=("${line//:/\\:}")
        fi
    done
    _describe -t candidates 'authagonal-tables' candidates
}

if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then
    _authagonal-tables "$@"
else
    compdef _authagonal-tables authagonal-tables
fi
`

const fishCompletion = `# fish completion for authagonal-tables
# Save it as ~/.config/fish/completions/authagonal-tables.fish

function __authagonal_tables_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    set -l candidates (command $words[1] $words[2..-1] "$current" ` + completionFlag + ` 2>/dev/null)
    if test (count $candidates) -eq 0
        __fish_complete_path "$current"
        return
    end
    printf '%s\n' $candidates
end

complete -c authagonal-tables -f -a '(__authagonal_tables_complete)'
`
