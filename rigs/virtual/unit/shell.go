package unit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The bootloader shell, U-Boot style: line editing with echo (backspace,
// Ctrl+U erases the line, Ctrl+C abandons it with "<INTERRUPT>"), commands
// separated by ';', quotes, and $name / ${name} expansion from the
// environment at the time each command runs.
//
// CR or LF ends a line; an LF straight after a CR is swallowed so a host
// sending CR LF runs one command, not the command and an empty line.

var (
	// errBoot leaves the shell and continues the boot.
	errBoot = errors.New("boot")
	// errQuiet is a failure whose message is already printed.
	errQuiet = errors.New("command failed")
)

// maxLine is U-Boot's CONFIG_SYS_CBSIZE.
const maxLine = 256

// helpWidth is U-Boot's CONFIG_SYS_HELP_CMD_WIDTH.
const helpWidth = 10

var builtinHelp = map[string]string{
	"boot":     "boot default, i.e., run 'bootcmd'",
	"bootd":    "boot default, i.e., run 'bootcmd'",
	"echo":     "echo args to console",
	"help":     "print command description/usage",
	"printenv": "print environment variables",
	"reset":    "Perform RESET of the CPU",
	"saveenv":  "save environment variables to persistent storage",
	"setenv":   "set environment variables",
}

// builtins is the set of builtin names (for help and lookups).
var builtins = func() map[string]bool {
	m := map[string]bool{}
	for k := range builtinHelp {
		m[k] = true
	}
	return m
}()

type session struct {
	u      *Unit
	io     *bootIO
	env    *bootEnv
	lastCR bool
}

// shell runs the bootloader prompt until `boot` (nil) or the boot
// generation ends (an error).
func (u *Unit) shell(ctx context.Context, io *bootIO, state State) error {
	if !u.setState(io.gen, state) {
		return errStale
	}
	s := &session{u: u, io: io, env: u.loadEnv()}
	u.mu.Lock()
	simple := u.simpleShell
	u.mu.Unlock()
	// status is $?: 0 when the last command succeeded, 1 when it failed,
	// as U-Boot's hush shell keeps it.
	status := 0
	lookup := func(k string) (string, bool) {
		if k == "?" {
			return strconv.Itoa(status), true
		}
		return s.env.Get(k)
	}
	for {
		if err := io.print(u.prof.Bootloader.Prompt); err != nil {
			return err
		}
		line, ok, err := s.readLine(ctx)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		split, args := splitCommands, splitArgs
		if simple {
			split, args = splitSimpleCommands, splitSimpleArgs
		}
		cmds, err := split(line)
		if err != nil {
			if err := io.println("syntax error"); err != nil {
				return err
			}
			continue
		}
		for _, c := range cmds {
			argv, err := args(c, lookup)
			if err != nil {
				io.println("syntax error")
				break
			}
			if len(argv) == 0 {
				continue
			}
			err = s.run(ctx, argv)
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			status = 0
			if err != nil {
				status = 1
			}
			if errors.Is(err, errBoot) {
				return nil
			}
		}
	}
}

// readLine reads one edited line; ok is false when Ctrl+C abandoned it.
func (s *session) readLine(ctx context.Context) (line string, ok bool, err error) {
	var buf []byte
	for {
		b, err := s.io.ReadByteContext(ctx)
		if err != nil {
			return "", false, err
		}
		lastCR := s.lastCR
		s.lastCR = b == '\r'
		switch {
		case b == '\n' && lastCR:
		case b == '\r' || b == '\n':
			return string(buf), true, s.io.print("\r\n")
		case b == 0x03: // Ctrl+C
			return "", false, s.io.print("<INTERRUPT>\r\n")
		case b == 0x08 || b == 0x7f:
			if len(buf) > 0 {
				buf = buf[:len(buf)-1]
				if err := s.io.print("\b \b"); err != nil {
					return "", false, err
				}
			}
		case b == 0x15: // Ctrl+U
			if len(buf) > 0 {
				if err := s.io.print(strings.Repeat("\b \b", len(buf))); err != nil {
					return "", false, err
				}
				buf = buf[:0]
			}
		case b >= 0x20 && b < 0x7f && len(buf) < maxLine:
			buf = append(buf, b)
			if _, err := s.io.Write([]byte{b}); err != nil {
				return "", false, err
			}
		}
	}
}

// run dispatches one command: registered commands first (they may replace
// builtins), then builtins.
func (s *session) run(ctx context.Context, args []string) error {
	s.u.mu.Lock()
	cmd, ok := s.u.commands[args[0]]
	s.u.mu.Unlock()
	if ok {
		err := cmd(ctx, s.io, s.env, args)
		if err != nil && ctx.Err() == nil && !errors.Is(err, errQuiet) && !errors.Is(err, errBoot) {
			s.io.println(err.Error())
		}
		return err
	}
	switch args[0] {
	case "echo":
		return s.io.println(strings.Join(args[1:], " "))
	case "help":
		return s.help(args)
	case "printenv":
		return s.printenv(args)
	case "setenv":
		return s.setenv(args)
	case "saveenv":
		return s.saveenv()
	case "reset":
		return s.reset()
	case "boot", "bootd":
		return errBoot
	}
	s.io.println(fmt.Sprintf("Unknown command '%s' - try 'help'", args[0]))
	return errQuiet
}

func (s *session) helpLine(name string) string {
	s.u.mu.Lock()
	summary, ok := s.u.help[name]
	s.u.mu.Unlock()
	if !ok {
		summary = builtinHelp[name]
	}
	if summary == "" {
		summary = "(no help)"
	}
	return fmt.Sprintf("%-*s- %s", helpWidth, name, summary)
}

func (s *session) help(args []string) error {
	names := s.u.commandNames()
	if len(args) > 1 {
		for _, want := range args[1:] {
			found := false
			for _, n := range names {
				found = found || n == want
			}
			if !found {
				s.io.println(fmt.Sprintf("Unknown command '%s' - try 'help' without arguments for list of all known commands", want))
				return errQuiet
			}
			s.io.println(s.helpLine(want))
		}
		return nil
	}
	for _, n := range names {
		if err := s.io.println(s.helpLine(n)); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) printenv(args []string) error {
	if len(args) > 1 {
		failed := false
		for _, k := range args[1:] {
			if v, ok := s.env.Get(k); ok {
				s.io.println(k + "=" + v)
			} else {
				s.io.println(fmt.Sprintf("## Error: \"%s\" not defined", k))
				failed = true
			}
		}
		if failed {
			return errQuiet
		}
		return nil
	}
	lines, size := envLines(s.env.snapshot())
	for _, l := range lines {
		if err := s.io.println(l); err != nil {
			return err
		}
	}
	return s.io.println(fmt.Sprintf("\r\nEnvironment size: %d/%d bytes", size, envSize))
}

func (s *session) setenv(args []string) error {
	if len(args) < 2 {
		s.io.println("Usage:\r\nsetenv name value ...\r\n    - set environment variable 'name' to 'value ...'\r\nsetenv name\r\n    - delete environment variable 'name'")
		return errQuiet
	}
	s.env.Set(args[1], strings.Join(args[2:], " "))
	return nil
}

func (s *session) saveenv() error {
	if err := s.io.print("Saving Environment to SPI Flash... "); err != nil {
		return err
	}
	if err := s.u.saveEnv(s.env); err != nil {
		if !errors.Is(err, ErrInterrupted) {
			s.io.println("FAILED: " + err.Error())
		}
		return errQuiet
	}
	return s.io.println("Erasing SPI flash...Writing to SPI flash...done")
}

func (s *session) reset() error {
	if err := s.io.println("resetting ..."); err != nil {
		return err
	}
	s.u.mu.Lock()
	if s.u.gen == s.io.gen {
		s.u.restartLocked("", "")
	}
	s.u.mu.Unlock()
	return errStale
}

// splitCommands splits a line on ';' outside quotes.
func splitCommands(line string) ([]string, error) {
	var out []string
	var inS, inD, esc bool
	start := 0
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case esc:
			esc = false
		case c == '\\' && !inS:
			esc = true
		case c == '\'' && !inD:
			inS = !inS
		case c == '"' && !inS:
			inD = !inD
		case c == ';' && !inS && !inD:
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	if inS || inD {
		return nil, errors.New("unterminated quote")
	}
	return append(out, line[start:]), nil
}

// splitArgs splits one command into words, removing quotes and expanding
// $name and ${name} (not inside single quotes) with lookup.
func splitArgs(cmd string, lookup func(string) (string, bool)) ([]string, error) {
	var args []string
	var cur strings.Builder
	var inS, inD, esc, has bool
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		switch {
		case esc:
			cur.WriteByte(c)
			has, esc = true, false
		case c == '\\' && !inS:
			esc = true
		case c == '\'' && !inD:
			inS, has = !inS, true
		case c == '"' && !inS:
			inD, has = !inD, true
		case c == '$' && !inS:
			name, n := varName(cmd[i+1:])
			if n == 0 {
				cur.WriteByte(c)
				has = true
				continue
			}
			if v, _ := lookup(name); v != "" {
				cur.WriteString(v)
				has = true
			}
			i += n
		case (c == ' ' || c == '\t') && !inS && !inD:
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteByte(c)
			has = true
		}
	}
	if inS || inD {
		return nil, errors.New("unterminated quote")
	}
	if has {
		args = append(args, cur.String())
	}
	return args, nil
}

// varName reads a variable reference after '$': "{name}" or a run of
// letters, digits and '_'. n is how many bytes it used (0: not a reference).
func varName(s string) (name string, n int) {
	if strings.HasPrefix(s, "?") {
		return "?", 1
	}
	if strings.HasPrefix(s, "{") {
		end := strings.IndexByte(s, '}')
		if end < 2 || strings.ContainsAny(s[1:end], " \t{$'\"") {
			return "", 0
		}
		return s[1:end], end + 1
	}
	for n < len(s) && (s[n] == '_' || s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z' || s[n] >= '0' && s[n] <= '9') {
		n++
	}
	return s[:n], n
}
