package unit

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
)

// interrupt powers h on and stops autoboot.
func interrupt(t *testing.T, h *harness) {
	t.Helper()
	h.SetPower(true)
	h.waitState(t, StateCountdown)
	h.con.send(t, h.Profile().Bootloader.InterruptKey)
	h.waitState(t, StateShell)
	h.con.expect(t, h.Profile().Bootloader.Prompt)
}

func TestShellCommands(t *testing.T) {
	h := newHarness(t, "hikvision-ds2cd", setup{fakeCountdown: true})
	h.AddCommand("hello", func(ctx context.Context, io device.BootIO, env device.Env, args []string) error {
		addr, _ := env.Get("loadaddr")
		_, err := io.Write([]byte("hello " + strings.Join(args[1:], "|") + " at " + addr + "\r\n"))
		return err
	})
	h.SetCommandHelp("hello", "say hello")
	h.AddCommand("fail", func(ctx context.Context, io device.BootIO, env device.Env, args []string) error {
		return errors.New("## flash not probed")
	})
	interrupt(t, h)
	prompt := "\r\nHKVS # "

	steps := []struct{ send, want string }{
		{"printenv loadaddr\r", "printenv loadaddr\r\nloadaddr=0x82000000" + prompt},
		{"setenv foo bar  baz\r", "setenv foo bar  baz" + prompt},
		{"printenv foo\r", "printenv foo\r\nfoo=bar baz" + prompt},
		{"printenv nope\r", "printenv nope\r\n## Error: \"nope\" not defined" + prompt},
		{"frobnicate 1\r", "frobnicate 1\r\nUnknown command 'frobnicate' - try 'help'" + prompt},
		{"hello ${loadaddr} 'a $foo'; hello \"$foo\"\r",
			"hello ${loadaddr} 'a $foo'; hello \"$foo\"\r\nhello 0x82000000|a $foo at 0x82000000\r\nhello bar baz at 0x82000000" + prompt},
		{"fail\r", "fail\r\n## flash not probed" + prompt},
		{"help hello\r", "help hello\r\nhello     - say hello" + prompt},
		{"printx\x7fenv foo\r", "printx\b \benv foo\r\nfoo=bar baz" + prompt},
		{"garbage\x15printenv foo\r\n", "garbage" + strings.Repeat("\b \b", 7) + "printenv foo\r\nfoo=bar baz" + prompt},
		{"half a line\x03", "half a line<INTERRUPT>\r\nHKVS # "},
		{"setenv foo\r", "setenv foo" + prompt},
		{"printenv foo\r", "printenv foo\r\n## Error: \"foo\" not defined" + prompt},
		{"setenv unterminated 'quote\r", "setenv unterminated 'quote\r\nsyntax error" + prompt},
		// $? is the last command's status, as a session framing its
		// commands with "; echo rc=$?" relies on.
		{"fail; echo rc=$?\r", "fail; echo rc=$?\r\n## flash not probed\r\nrc=1" + prompt},
		{"echo a $loadaddr; echo rc=$?\r", "echo a $loadaddr; echo rc=$?\r\na 0x82000000\r\nrc=0" + prompt},
		{"\r", "" + prompt},
	}
	for _, st := range steps {
		h.con.send(t, st.send)
		if got := h.con.expect(t, st.want); got != "" {
			t.Fatalf("send %q: unexpected output before the reply: %q", st.send, got)
		}
	}

	h.con.send(t, "help\r")
	help := h.con.expect(t, prompt)
	for _, want := range []string{"boot      - boot default", "hello     - say hello", "printenv  - print environment variables",
		"saveenv   - save environment", "setenv    - set environment", "reset     - Perform RESET", "fail      - (no help)"} {
		if !strings.Contains(help, want) {
			t.Errorf("help lacks %q:\n%s", want, help)
		}
	}

	h.con.send(t, "printenv\r")
	env := h.con.expect(t, prompt)
	if !strings.Contains(env, "baudrate=1000000\r\n") || !strings.Contains(env, "\r\nEnvironment size: ") {
		t.Errorf("printenv:\n%s", env)
	}

	h.con.send(t, "setenv foo saved\rsaveenv\r")
	h.con.expect(t, "Saving Environment to SPI Flash... ")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.fake.WaitPending(ctx, 1); err != nil { // the flash write
		t.Fatal(err)
	}
	h.fake.Advance(time.Second)
	h.con.expect(t, "Erasing SPI flash...Writing to SPI flash...done"+prompt)
	if v, _ := h.Config().Get(EnvPrefix + "foo"); v != "saved" {
		t.Fatalf("saveenv stored foo=%q", v)
	}

	h.con.send(t, "reset\r")
	h.con.expect(t, "resetting ...\r\nU-Boot 1.3.4")
	h.waitState(t, StateCountdown)
	h.con.send(t, "\x15")
	h.waitState(t, StateShell)
	h.con.expect(t, "HKVS # ")
	h.con.send(t, "printenv foo\r")
	h.con.expect(t, "foo=saved"+prompt)
	if h.BootCount() != 2 {
		t.Fatalf("BootCount %d after reset, want 2", h.BootCount())
	}

	h.con.send(t, "boot\r")
	h.waitState(t, StateUp)
	h.con.expect(t, "Check dir /dav ok!\r\n")
}

func TestSplitCommandsAndArgs(t *testing.T) {
	env := map[string]string{"loadaddr": "0x82000000", "filesize": "1a2b", "empty": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cases := []struct {
		line string
		want [][]string
	}{
		{"sf probe 0", [][]string{{"sf", "probe", "0"}}},
		{"  sf   probe\t0  ", [][]string{{"sf", "probe", "0"}}},
		{"sf write ${loadaddr} 0x0 $filesize", [][]string{{"sf", "write", "0x82000000", "0x0", "1a2b"}}},
		{"a;b c ; d", [][]string{{"a"}, {"b", "c"}, {"d"}}},
		{"echo 'x;y' \"$loadaddr z\"", [][]string{{"echo", "x;y", "0x82000000 z"}}},
		{"echo '$loadaddr' \\$x", [][]string{{"echo", "$loadaddr", "$x"}}},
		{"echo $empty $nothere end", [][]string{{"echo", "end"}}},
		{"echo ''", [][]string{{"echo", ""}}},
		{"echo $ ${ ${}", [][]string{{"echo", "$", "${", "${}"}}},
		{"", [][]string{nil}},
	}
	for _, tc := range cases {
		cmds, err := splitCommands(tc.line)
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		var got [][]string
		for _, c := range cmds {
			args, err := splitArgs(c, lookup)
			if err != nil {
				t.Fatalf("%q: %v", tc.line, err)
			}
			got = append(got, args)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.line, got, tc.want)
		}
	}
	if _, err := splitCommands("echo 'open"); err == nil {
		t.Error("unterminated quote accepted")
	}
}

// FuzzShellLine: the shell's tokenizer never panics, and a plain line of
// words splits exactly like strings.Fields.
func FuzzShellLine(f *testing.F) {
	for _, s := range []string{"sf probe 0", "a;b 'c;d' \"$x\" ${y}", "\\", "'", "${", "$$$"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		lookup := func(k string) (string, bool) { return "v" + k, true }
		cmds, err := splitCommands(line)
		if err != nil {
			return
		}
		for _, c := range cmds {
			splitArgs(c, lookup)
		}
		if strings.ContainsAny(line, "'\"\\$;\r\n\v\f\u0085\u00a0") {
			return
		}
		for _, r := range line {
			if r > 127 {
				return
			}
		}
		args, err := splitArgs(line, lookup)
		if err != nil {
			t.Fatalf("plain line %q: %v", line, err)
		}
		if want := strings.Fields(line); !reflect.DeepEqual(args, want) && !(len(args) == 0 && len(want) == 0) {
			t.Fatalf("plain line %q split as %q, want %q", line, args, want)
		}
	})
}

// Without hush, $? is printed as typed, $name needs braces and only
// single quotes quote: a session framing its commands with $? would wait
// for digits that never come.
func TestSimpleShell(t *testing.T) {
	h := newHarness(t, "hikvision-ds2cd", setup{fakeCountdown: true})
	h.SetSimpleShell(true)
	h.AddCommand("fail", func(ctx context.Context, io device.BootIO, env device.Env, args []string) error {
		return errors.New("## flash not probed")
	})
	interrupt(t, h)
	prompt := "\r\nHKVS # "
	steps := []struct{ send, want string }{
		{"fail; echo rc=$?\r", "fail; echo rc=$?\r\n## flash not probed\r\nrc=$?" + prompt},
		{"echo a $loadaddr ${loadaddr} $(loadaddr)\r", "echo a $loadaddr ${loadaddr} $(loadaddr)\r\na $loadaddr 0x82000000 0x82000000" + prompt},
		{"echo '${loadaddr}; x' \"q\"; echo __m_'end'_1\r", "echo '${loadaddr}; x' \"q\"; echo __m_'end'_1\r\n${loadaddr}; x \"q\"\r\n__m_end_1" + prompt},
		{"p.b 0x1\x15echo ok\r", "p.b 0x1" + strings.Repeat("\b \b", 7) + "echo ok\r\nok" + prompt},
	}
	for _, st := range steps {
		h.con.send(t, st.send)
		if got := h.con.expect(t, st.want); got != "" {
			t.Fatalf("send %q: unexpected output before the reply: %q", st.send, got)
		}
	}
}
