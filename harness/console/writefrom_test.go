package console

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/secret"
)

func TestWriteFromGivesOnlyTheLaterPartRedacted(t *testing.T) {
	pw := "Hunter2-Secret"
	cases := []struct {
		name   string
		window int
	}{{"in memory", 1 << 20}, {"spilled", 64}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := buildOptions([]Option{WithTranscriptDir(t.TempDir()), WithRedact(secret.Literal(pw))})
			o.window = c.window
			tr := newTranscript("test", o)
			defer tr.Discard()
			now := time.Now()
			tr.append(now, []byte(strings.Repeat("boot line\r\n", 20)+"login "+pw+"\r\n"))
			mark := tr.Len()
			if spilled := tr.SpillPath() != ""; spilled != (c.window < 1024) {
				t.Fatalf("spilled = %v with a %d-byte window", spilled, c.window)
			}
			tr.append(now, []byte("spec line one\r\npassword is "+pw[:5]))
			tr.append(now, []byte(pw[5:]+" ok\r\n"))
			var b bytes.Buffer
			if _, err := tr.WriteFrom(&b, mark); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if got != "spec line one\r\npassword is [redacted] ok\r\n" {
				t.Fatalf("WriteFrom = %q", got)
			}
			// A cut inside the secret must not put half of it out.
			b.Reset()
			if _, err := tr.WriteFrom(&b, mark+int64(len("spec line one\r\npassword is Hun"))); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(b.String(), "ter2") || strings.Contains(b.String(), pw[3:]) {
				t.Fatalf("a cut inside the secret leaked its tail: %q", b.String())
			}
		})
	}
}
