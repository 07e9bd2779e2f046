package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// leakPassword is a random password with the characters formats escape.
func leakPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789&<>\"'%+ /\\"
	b := make([]byte, 14)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	// At least one of each kind a format escapes.
	b[3], b[7], b[10] = '&', '<', ' '
	return string(b)
}

// forms are the ways a device or a format writes pw.
func forms(pw string) map[string]string {
	j, _ := json.Marshal(pw)
	js := string(j[1 : len(j)-1])
	var numeric, hexent, jsonU strings.Builder
	for _, r := range pw {
		fmt.Fprintf(&numeric, "&#%d;", r)
		fmt.Fprintf(&hexent, "&#X%04x;", r)
		fmt.Fprintf(&jsonU, `\u%04X`, r)
	}
	q := strconv.Quote(pw)
	return map[string]string{
		"raw": pw, "xml": html.EscapeString(pw), "numeric entities": numeric.String(), "hex entities": hexent.String(),
		"query": url.QueryEscape(pw), "path": url.PathEscape(pw), "json": js, "json \\u": jsonU.String(),
		"go quoted": q[1 : len(q)-1], "percent every byte": percentAll(pw),
		"mixed": html.EscapeString(pw[:5]) + url.QueryEscape(pw[5:9]) + jsonString(pw[9:]),
	}
}

func jsonString(s string) string {
	j, _ := json.Marshal(s)
	return string(j[1 : len(j)-1])
}

func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02x", s[i])
	}
	return b.String()
}

// Every form of a random password is redacted wherever it sits in a text,
// and nothing else is touched.
func TestMatcherRedactsEveryForm(t *testing.T) {
	for range 20 {
		pw := leakPassword()
		m := NewValueMatcher(pw)
		for name, f := range forms(pw) {
			for _, ctx := range [][2]string{{"", ""}, {"<user>", "</user>"}, {"x&y=", "&z=%41"}, {`{"p":"`, `"}`}} {
				text := "before " + ctx[0] + f + ctx[1] + " after"
				got := string(m.Redact([]byte(text)))
				want := "before " + ctx[0] + Redacted + ctx[1] + " after"
				if got != want {
					t.Fatalf("password %q in form %s (%q):\n got %q\nwant %q", pw, name, f, got, want)
				}
			}
		}
	}
}

// A value JSON-encoded inside JSON inside JSON (a report entry's AsJSON in
// a report file), Go-quoted JSON, or XML-escaped then JSON-encoded is still
// one occurrence.
func TestMatcherSeesNestedEscapes(t *testing.T) {
	for range 20 {
		pw := leakPassword()
		m := NewValueMatcher(pw)
		j1 := jsonString(pw)
		q := strconv.Quote(j1)
		nested := map[string]string{
			"json in json":         jsonString(j1),
			"json in json in json": jsonString(jsonString(j1)),
			"go-quoted json":       q[1 : len(q)-1],
			"xml in json":          jsonString(html.EscapeString(pw)),
			"xml in json in json":  jsonString(jsonString(html.EscapeString(pw))),
			"query in json":        jsonString(url.QueryEscape(pw)),
		}
		for name, f := range nested {
			text := "a " + f + " b"
			if got := string(m.Redact([]byte(text))); got != "a "+Redacted+" b" {
				t.Fatalf("%s of %q (%q): got %q", name, pw, f, got)
			}
		}
	}
}

func TestMatcherLeavesOtherTextAlone(t *testing.T) {
	m := NewValueMatcher("s3cr&t")
	for _, text := range []string{"", "s3cr", "s3cr&amp", "s3cr&amp;x", "%73%33cr", "plain & simple", `\u0073 3`, "&#115;3cr&#38"} {
		if got := string(m.Redact([]byte(text))); got != text {
			t.Errorf("Redact(%q) = %q", text, got)
		}
	}
	if got := string(m.Redact([]byte("s3cr&#38;t"))); got != Redacted {
		t.Errorf("numeric entity: %q", got)
	}
}

// Hold keeps back exactly what could still become an occurrence; a stream
// that writes Redact(b[:Hold(b)]) never lets a piece of the secret through,
// however the text is split.
func TestMatcherHoldAcrossSplits(t *testing.T) {
	pw := leakPassword()
	m := NewValueMatcher(pw)
	for name, f := range forms(pw) {
		text := []byte("login: " + f + " ok; again " + f + "\n")
		for split := 0; split <= len(text); split++ {
			var out bytes.Buffer
			carry := []byte(nil)
			for _, chunk := range [][]byte{text[:split], text[split:]} {
				data := append(carry, chunk...)
				h := m.Hold(data)
				out.Write(m.Redact(data[:h]))
				carry = append([]byte(nil), data[h:]...)
			}
			out.Write(m.Redact(carry))
			want := "login: " + Redacted + " ok; again " + Redacted + "\n"
			if out.String() != want {
				t.Fatalf("form %s split at %d: %q, want %q", name, split, out.String(), want)
			}
		}
	}
}

func TestRedactCutHidesATrailingStart(t *testing.T) {
	m := NewValueMatcher("hunter2-pass")
	for _, text := range []string{"err: hunter", "err: hunter2-p", "err: hunt%65r2", "err: hu"} {
		got := string(m.RedactCut([]byte(text)))
		if got != "err: "+Redacted {
			t.Errorf("RedactCut(%q) = %q", text, got)
		}
	}
	for _, text := range []string{"err: x", "err: h", "100%", "a &"} {
		if got := string(m.RedactCut([]byte(text))); got != text {
			t.Errorf("RedactCut(%q) = %q, want it unchanged", text, got)
		}
	}
}

func FuzzMatcher(f *testing.F) {
	f.Add("p&ss w<rd", "x p&amp;ss+w&lt;rd y", 3)
	f.Add("abc", "%61%62%63", 1)
	f.Add("\U0001F600ab", `\uD83D\uDE00ab`, 5)
	f.Add("\"ab\nc", `{"t":"x\n\\\"ab\\nc\\x22ab\u000ac"}`, 0)
	f.Add("\\ab", `\\\\ab \\\\\\\\ab \\\\\\\\\\\\\\\\x5cab \n\\ab`, 0)
	f.Fuzz(func(t *testing.T, pw, text string, split int) {
		if len(pw) < minLen || len(pw) > 64 {
			return
		}
		m := NewValueMatcher(pw)
		// The positions scan skips without trying a value are ones where
		// it could not have matched: it redacts exactly what trying every
		// value at every position does.
		if got, want := m.Redact([]byte(text)), everywhere(m, []byte(text)); !bytes.Equal(got, want) {
			t.Fatalf("Redact(%q) for %q = %q, trying everywhere gives %q", text, pw, got, want)
		}
		// Outside the markers no copy is left (a marker's own "[" next to
		// text is not one).
		kept := func(out []byte) bool {
			for _, part := range bytes.Split(out, []byte(Redacted)) {
				if bytes.Contains(part, []byte(pw)) {
					return true
				}
			}
			return false
		}
		out := m.Redact([]byte(text))
		if kept(out) {
			t.Fatalf("Redact(%q) for %q kept it: %q", text, pw, out)
		}
		b := []byte(text + pw)
		if split < 0 || split > len(b) {
			split = len(b) / 2
		}
		h := m.Hold(b[:split])
		if h < 0 || h > split {
			t.Fatalf("Hold = %d of %d", h, split)
		}
		if got := m.Redact(b); kept(got) {
			t.Fatalf("trailing password kept: %q", got)
		}
	})
}

// everywhere is Redact without any of scan's shortcuts: every value tried
// at every position.
func everywhere(m *Matcher, b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		end := -1
		for _, v := range m.vals {
			e, _ := matchAt(b, i, v)
			end = max(end, e)
		}
		if end < 0 {
			i++
			continue
		}
		out = append(out, b[last:i]...)
		out = append(out, Redacted...)
		i, last = end, end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
