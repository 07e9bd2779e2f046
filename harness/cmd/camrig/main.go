// Command camrig drives camera reset rigs: power, solenoid presses, consoles,
// reflashing, and the virtual rig. Each subcommand lives in its own file and
// registers itself here.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"

	"github.com/camrig/camrig/harness/safety"
)

// Exit codes shared by every subcommand.
const (
	exitOK      = 0
	exitFailed  = 1 // the operation ran and failed (a unit did not boot, a hold was refused)
	exitUsage   = 2 // bad flags or arguments
	exitRigFile = 3 // the rig file or a profile is invalid
	exitBusy    = 4 // the unit is leased by another run
)

type command struct {
	name    string
	summary string
	// run gets the arguments after the command name. ctx ends on SIGINT or
	// SIGTERM; the command must leave the rig safe before returning.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("camrig: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: camrig <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'camrig <command> -h' for a command's flags.")
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "camrig: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	// A panic anywhere in a command still releases the solenoid and
	// restores power before the process dies.
	defer safety.OnPanic()
	// The first SIGINT/SIGTERM cancels ctx: the command leaves the rig
	// safe and cleans up (the simulator removes its ptys). From then on a
	// second signal restores every registered switch at once and exits,
	// for the engineer whose cleanup is stuck on a dead board.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// returned is closed before stop runs, so the end of ctx at return is
	// not taken for a signal.
	returned := make(chan struct{})
	defer close(returned)
	go func() {
		select {
		case <-returned:
			return
		case <-ctx.Done():
		}
		select {
		case <-returned:
		default:
			stop()
			safety.Install()
		}
	}()
	return c.run(ctx, args[1:], stdout, stderr)
}
