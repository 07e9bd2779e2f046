package console

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/secret"
)

// A spec's timed transcript: only the lines since the spec began, each
// stamped, with the harness's own actions between them in time order, and
// secrets still redacted.
func TestWriteTimedSinceInterleavesTheHarness(t *testing.T) {
	pwText := fmt.Sprintf("s3cret-Pass-%06x", rand.IntN(1<<24))
	pw := secret.Literal(pwText)
	tr := testTranscript(t, 1<<20, pw)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tr.append(at, []byte("old boot: ready\r\n"))
	tr.append(at.Add(2*time.Second), []byte("U-Boot 2016.11\r\n"))
	tr.append(at.Add(3*time.Second), []byte("login "+pwText+"\r\nready\r\n"))
	notes := []Note{
		{At: at.Add(4 * time.Second), Text: "press hold 150ms"},
		{At: at.Add(1500 * time.Millisecond), Text: "power on"},
		{At: at.Add(500 * time.Millisecond), Text: "power off (before the spec)"},
	}
	var b strings.Builder
	if err := tr.WriteTimedSince(&b, at.Add(time.Second), notes); err != nil {
		t.Fatal(err)
	}
	want := "03:04:06.500000 >> power on\n" +
		"03:04:07.000000 U-Boot 2016.11\n" +
		"03:04:08.000000 login [redacted]\n" +
		"03:04:08.000000 ready\n" +
		"03:04:09.000000 >> press hold 150ms\n"
	if got := b.String(); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
