package console

import (
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/secret"
)

func excerptConsole(t testing.TB, stream []byte, window int, secrets ...secret.Secret) *Console {
	t.Helper()
	o := buildOptions([]Option{WithTranscriptDir(t.TempDir()), WithWindow(window), WithRedact(secrets...)})
	c := &Console{tr: newTranscript("excerpt", o), red: newRedactor(o.secrets)}
	t.Cleanup(func() { c.tr.Discard() })
	for i := 0; i < len(stream); i += 7 {
		c.tr.append(time.Unix(int64(i), 0), stream[i:min(i+7, len(stream))])
	}
	return c
}

func TestExcerptShowsWholeLinesRedacted(t *testing.T) {
	stream := []byte("U-Boot 1.3.4\r\nroot password s3cr3tpw\r\n\x00bad\xff byte\r\nKernel panic - not syncing: x\r\nafter")
	c := excerptConsole(t, stream, 1<<20, secret.Literal("s3cr3tpw"))
	end := int64(strings.Index(string(stream), "\r\nafter"))
	got := c.Excerpt(3, end, 10)
	want := []string{"root password [redacted]", `\x00bad\xff byte`, "Kernel panic - not syncing: x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q, want %q (the line cut by from left out)", got, want)
	}
	if got := c.Excerpt(0, end, 2); strings.Join(got, "|") != strings.Join(want[1:], "|") {
		t.Fatalf("the last 2 lines: %q", got)
	}
	// A range that ends inside the secret shows none of it.
	cut := int64(strings.Index(string(stream), "cr3tpw"))
	if got := c.Excerpt(0, cut, 10); strings.Contains(strings.Join(got, "|"), "s3") {
		t.Fatalf("the start of a cut secret shows: %q", got)
	}
}

// FuzzExcerpt: any stream, any range, spilled or not: no panic, no line
// holds a newline, and a secret never shows.
func FuzzExcerpt(f *testing.F) {
	f.Add([]byte("a\r\nbpw12345c\r\nd"), int64(2), int64(9), uint8(3), uint16(8))
	f.Add([]byte("\n\n\n"), int64(-5), int64(100), uint8(0), uint16(1))
	f.Fuzz(func(t *testing.T, stream []byte, from, to int64, lines uint8, window uint16) {
		c := excerptConsole(t, stream, int(window)+1, secret.Literal("pw12345"))
		for _, l := range c.Excerpt(from, to, int(lines)) {
			if strings.ContainsAny(l, "\n") || strings.Contains(l, "pw12345") {
				t.Fatalf("line %q", l)
			}
		}
	})
}
