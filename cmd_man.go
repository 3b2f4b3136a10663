package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"
)

// manPath is the file to which `make man` writes the page that manCommand
// prints.
const manPath = "docs/authagonal-tables.1"

func manCommand(env *environment) *cli.Command {
	return &cli.Command{
		Name:            "man",
		Usage:           "print the manual page in roff, generated from the same definitions as --help",
		HideHelpCommand: true,
		OnUsageError:    usageError,
		UsageText:       "authagonal-tables man",
		Description: `Prints the manual page of every command, flag and environment variable. To read
it, or to install it for man (in a folder on man's path, such as
/usr/local/share/man/man1):
  authagonal-tables man | man -l -
  authagonal-tables man > /usr/local/share/man/man1/authagonal-tables.1

` + commandExitCodesNoPartial,
		Action: func(c *cli.Context) error {
			if err := noArgs(c); err != nil {
				return err
			}
			// A fresh app, because parsing the command line sets the
			// defaults of the global flags from their environment variables.
			_, err := io.WriteString(env.stdout, manPage(newApp(env)))
			return err
		},
	}
}

// manPage renders the manual page of app in roff. The page depends on the
// definitions only, never on the version or the date, so that a test can
// compare it with the committed copy.
func manPage(app *cli.App) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%% %s 1\n\n", app.Name)
	fmt.Fprintf(&b, "# NAME\n\n%s - %s\n\n", app.Name, escapeMarkdown(app.Usage))
	fmt.Fprintf(&b, "# SYNOPSIS\n\n**%s** [*global options*] *command* [*options*] [*arguments*]\n\n", app.Name)
	fmt.Fprintf(&b, "# DESCRIPTION\n\n%s\n\n", escapeMarkdown(app.Description))

	b.WriteString("# GLOBAL OPTIONS\n\n")
	writeManFlags(&b, app.Flags)
	b.WriteString("**--help**, **-h**\n: show help\n\n")
	b.WriteString("**--version**, **-v**\n: print the version\n\n")

	b.WriteString("# COMMANDS\n\n")
	for _, cmd := range manCommands(app) {
		// go-md2man renders level 3, not level 2, as a subsection (.SS).
		fmt.Fprintf(&b, "### %s\n\n%s\n\n", cmd.Name, escapeMarkdown(cmd.Usage))
		fmt.Fprintf(&b, "    %s\n\n", cmd.UsageText)
		description := strings.TrimSuffix(strings.TrimSuffix(cmd.Description, commandExitCodes), commandExitCodesNoPartial)
		b.WriteString(descriptionMarkdown(strings.TrimSpace(description)))
		if len(cmd.Flags) > 0 {
			b.WriteString("**Options**\n\n")
			writeManFlags(&b, cmd.Flags)
		}
	}

	b.WriteString("# ENVIRONMENT\n\n")
	writeManEnvironment(&b, app)
	_, codes, _ := strings.Cut(exitCodesHelp, "EXIT CODES:\n")
	fmt.Fprintf(&b, "# EXIT STATUS\n\n%s\n", descriptionMarkdown(codes))
	return string(md2man.Render([]byte(b.String())))
}

// manCommands returns the commands of app that the page documents: the
// visible ones, without help, which --help covers.
func manCommands(app *cli.App) []*cli.Command {
	var cmds []*cli.Command
	for _, cmd := range app.Commands {
		if !cmd.Hidden && cmd.Name != "help" {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// writeManFlags writes flags as a definition list, in the order of --help:
// name, value, default, usage and environment variables.
func writeManFlags(b *strings.Builder, flags []cli.Flag) {
	for _, f := range flags {
		d, ok := f.(cli.DocGenerationFlag)
		if v, visible := f.(cli.VisibleFlag); !ok || (visible && !v.IsVisible()) {
			continue
		}
		if name := f.Names()[0]; name == "help" || name == "version" {
			continue
		}
		placeholder, usage := splitUsage(d.GetUsage())
		var names []string
		for _, n := range f.Names() {
			names = append(names, "**"+dashes(n)+n+"**")
		}
		b.WriteString(strings.Join(names, ", "))
		if d.TakesValue() {
			fmt.Fprintf(b, "=*%s*", escapeMarkdown(placeholder))
			if v := d.GetValue(); v != "" {
				fmt.Fprintf(b, " (default: %s)", escapeMarkdown(v))
			}
		}
		fmt.Fprintf(b, "\n: %s", escapeMarkdown(strings.TrimSuffix(usage, ".")+"."))
		if envs := d.GetEnvVars(); len(envs) > 0 {
			fmt.Fprintf(b, " Environment: %s.", escapeMarkdown("$"+strings.Join(envs, ", $")))
		}
		b.WriteString("\n\n")
	}
}

// writeManEnvironment lists every environment variable of the global and
// command flags, with the flag it sets and the commands that read it.
func writeManEnvironment(b *strings.Builder, app *cli.App) {
	type use struct {
		flag     string
		commands []string
	}
	uses := map[string][]*use{}
	add := func(command string, flags []cli.Flag) {
		for _, f := range flags {
			d, ok := f.(cli.DocGenerationFlag)
			if !ok {
				continue
			}
			for _, env := range d.GetEnvVars() {
				if n := len(uses[env]); n > 0 && uses[env][n-1].flag == f.Names()[0] {
					uses[env][n-1].commands = append(uses[env][n-1].commands, command)
					continue
				}
				uses[env] = append(uses[env], &use{flag: f.Names()[0], commands: []string{command}})
			}
		}
	}
	add("", app.Flags)
	for _, cmd := range manCommands(app) {
		add(cmd.Name, cmd.Flags)
	}

	names := make([]string, 0, len(uses))
	for env := range uses {
		names = append(names, env)
	}
	sort.Strings(names)
	for _, env := range names {
		var sets []string
		for _, u := range uses[env] {
			if u.commands[0] == "" {
				sets = append(sets, "the global option --"+u.flag)
				continue
			}
			sets = append(sets, "--"+u.flag+" of "+joinAnd(u.commands))
		}
		fmt.Fprintf(b, "**%s**\n: sets %s. A flag on the command line takes precedence.\n\n", escapeMarkdown(env), escapeMarkdown(joinAnd(sets)))
	}
}

// splitUsage returns the value placeholder that urfave/cli reads from the
// first `quoted` word of a flag's usage, or "value", and the usage without
// the backquotes.
func splitUsage(usage string) (placeholder, text string) {
	placeholder = "value"
	if _, rest, ok := strings.Cut(usage, "`"); ok {
		if name, _, ok := strings.Cut(rest, "`"); ok {
			placeholder = name
		}
	}
	return placeholder, strings.ReplaceAll(usage, "`", "")
}

// descriptionMarkdown turns a command description into Markdown: lines
// indented by two spaces or more, such as examples, become code blocks, and
// the other lines paragraphs.
func descriptionMarkdown(description string) string {
	var b strings.Builder
	inCode := false
	for _, line := range strings.Split(description, "\n") {
		code := strings.HasPrefix(line, "  ")
		if code != inCode && strings.TrimSpace(line) != "" {
			b.WriteString("\n")
			inCode = code
		}
		if code {
			b.WriteString("  " + line + "\n")
			continue
		}
		b.WriteString(escapeMarkdown(line) + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

// markdownEscaper escapes the characters that Markdown would read as
// emphasis, code, links or HTML, such as the <Table> of <Table>.jsonl.
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `<`, `\<`, `>`, `\>`, `[`, `\[`, `]`, `\]`,
)

func escapeMarkdown(s string) string {
	return markdownEscaper.Replace(s)
}
