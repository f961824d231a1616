// Command stoa is the Stoa forum server: one binary for serving, migrating and administering.
//
//	stoa serve      run the web server and the background workers
//	stoa migrate    apply database migrations
//	stoa admin ...  manage members, categories, tokens and federation policy
//	stoa seed       fill a database with realistic data for benchmarks
//	stoa version    print the version
//
// This package is the composition root: it parses the configuration once and wires the packages
// together; no other package reads the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

// command is one node of the subcommand tree. A leaf has run; a branch has subcommands.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis after the command path
	run     func(ctx context.Context, env *runEnv, args []string) error
	subs    []*command
}

// runEnv is what a command may touch of the outside world; tests substitute it.
type runEnv struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// errUsage is a command-line mistake; the message has already been printed with the usage.
var errUsage = errors.New("usage")

func rootCommand() *command {
	return &command{name: "stoa", summary: "a forum whose categories and threads federate over ActivityPub", subs: []*command{
		serveCommand(),
		migrateCommand(),
		adminCommand(),
		seedCommand(),
		{name: "version", summary: "print the version", run: func(_ context.Context, env *runEnv, args []string) error {
			fs := newFlagSet("stoa version", "", "print the version", env)
			if err := parseFlags(fs, env, args); err != nil {
				return err
			}
			fmt.Fprintln(env.stdout, "stoa", version)
			return nil
		}},
	}}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &runEnv{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(execute(ctx, rootCommand(), env, os.Args[1:]))
}

// execute runs the command named by args and returns the process exit code: 0 on success (and on
// --help), 2 on a usage error, 1 on any other error.
func execute(ctx context.Context, root *command, env *runEnv, args []string) int {
	cmd, path, rest := root, []string{root.name}, args
	for len(cmd.subs) > 0 {
		if len(rest) == 0 || rest[0] == "-h" || rest[0] == "--help" || rest[0] == "help" {
			printBranchHelp(env.stdout, cmd, path)
			if len(rest) == 0 {
				return 2
			}
			return 0
		}
		next := findSub(cmd, rest[0])
		if next == nil {
			fmt.Fprintf(env.stderr, "%s: unknown command %q\n\n", strings.Join(path, " "), rest[0])
			printBranchHelp(env.stderr, cmd, path)
			return 2
		}
		cmd, path, rest = next, append(path, next.name), rest[1:]
	}
	err := cmd.run(ctx, env, rest)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(env.stderr, "%s: %v\n", strings.Join(path, " "), err)
	return 1
}

func findSub(c *command, name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

func printBranchHelp(w io.Writer, c *command, path []string) {
	fmt.Fprintf(w, "%s: %s\n\nUsage: %s <command> [flags]\n\nCommands:\n", strings.Join(path, " "), c.summary, strings.Join(path, " "))
	subs := append([]*command(nil), c.subs...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	for _, s := range subs {
		fmt.Fprintf(w, "  %-10s %s\n", s.name, s.summary)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", strings.Join(path, " "))
}

// newFlagSet returns a flag set whose errors are returned, not fatal, and whose --help prints a
// synopsis before the flags.
func newFlagSet(path, usage, summary string, env *runEnv) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "%s: %s\n\nUsage: %s [flags] %s\n\nFlags:\n", path, summary, path, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args into fs. --help prints to stdout and returns flag.ErrHelp (a success);
// a bad flag or a stray argument prints the problem and returns errUsage.
func parseFlags(fs *flag.FlagSet, env *runEnv, args []string) error {
	fs.SetOutput(env.stderr)
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" {
			fs.SetOutput(env.stdout)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.stderr, "unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return errUsage
	}
	return nil
}

// parseWithConfig parses args with the configuration flags added to fs, and returns the Config.
func parseWithConfig(fs *flag.FlagSet, env *runEnv, args []string) (*Config, error) {
	build := registerConfigFlags(fs, env.getenv)
	if err := parseFlags(fs, env, args); err != nil {
		return nil, err
	}
	return build()
}
