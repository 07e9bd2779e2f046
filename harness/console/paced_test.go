package console_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/uart"
)

// pacedCtx bounds a wait in these tests generously: a test that needs the
// bound has already failed.
func pacedCtx(t *testing.T, what string) context.Context {
	ctx, cancel := clock.WithTimeout(context.Background(), clock.Real{}, 10*time.Second, what)
	t.Cleanup(cancel)
	return ctx
}

// pacedConsole is a console on a pty whose device side is the virtual
// rig's UART: output leaves at 115200 baud in 2 ms pieces, so lines reach
// the console split wherever a piece ends, as from a real adapter.
func pacedConsole(t *testing.T, opts ...console.Option) (*console.Console, *uart.UART) {
	t.Helper()
	link := filepath.Join(t.TempDir(), "uart0")
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pair.Close() })
	u, err := uart.New(pair.Master, uart.Config{Baud: 115200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close() })
	u.PowerOn()
	c, err := console.Open(pacedCtx(t, "open"), console.Config{Port: link, Baud: 115200}, append([]console.Option{console.WithTranscriptDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, u
}

// TestRegexOnAPacedUARTCapturesWholeTokens plays kernel banners at 115200
// baud: every `Linux version (\S+)` must hold the whole version, whichever
// byte a piece ended on.
func TestRegexOnAPacedUARTCapturesWholeTokens(t *testing.T) {
	// Every banner ends its line: the quiet time never decides here, so
	// make it long enough that a loaded machine's stalls cannot either.
	c, u := pacedConsole(t, console.WithLineQuiet(10*time.Second))
	const n = 60
	line := func(i int) string {
		return fmt.Sprintf("[    0.%06d] Linux version 3.18.%d-hisi_v500 (build@host) (gcc 4.9.4) #%d SMP\r\n", i, 20+i, i)
	}
	go func() {
		for i := 0; i < n; i++ {
			// Each banner behind a line of a different length, so the
			// pieces end at a different byte of it each time.
			if _, err := u.Write([]byte(strings.Repeat("-", i%23) + "\r\n" + line(i))); err != nil {
				return
			}
		}
	}()
	ctx := pacedCtx(t, "banners")
	for i := 0; i < n; i++ {
		m, err := c.Expect(ctx, console.Re(`Linux version (\S+)`))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("3.18.%d-hisi_v500", 20+i); m.Groups[0] != want {
			t.Fatalf("banner %d: captured %q, want %q (the part that had arrived when a piece ended)", i, m.Groups[0], want)
		}
	}
}

// TestRegexPromptWithoutNewlineOnAPacedUART: a prompt has no newline; a
// regular expression anchored at its end matches once the line has gone
// quiet, not while the line is still growing into a command echo.
func TestRegexPromptWithoutNewlineOnAPacedUART(t *testing.T) {
	// A quiet time far above the gap between the two writes below, so a
	// loaded machine cannot make the first prompt look finished.
	c, u := pacedConsole(t, console.WithLineQuiet(time.Second))
	type result struct {
		m   console.Match
		err error
	}
	done := make(chan result, 1)
	go func() {
		m, err := c.Expect(pacedCtx(t, "prompt"), console.Re(`^hisilicon # $`))
		done <- result{m, err}
	}()
	ch := c.Transcript().Changed()
	if _, err := u.Write([]byte("hisilicon # ")); err != nil {
		t.Fatal(err)
	}
	for c.Transcript().Len() < int64(len("hisilicon # ")) {
		<-ch
		ch = c.Transcript().Changed()
	}
	if _, err := u.Write([]byte("printenv\r\nbootargs=mem=64M console=ttyAMA0\r\nhisilicon # ")); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if !strings.Contains(r.m.Before, "bootargs=mem=64M") {
		t.Fatalf("matched the first prompt while its line was still growing: before %q", r.m.Before)
	}
}
