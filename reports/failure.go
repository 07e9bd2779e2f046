package reports

import (
	"io"
	"os"
	"regexp"
	"strings"
)

// sentenceMax bounds a failure's one-line reason in the matrix and table.
const sentenceMax = 240

var (
	// gomegaHeader is Gomega's type line: "<*fmt.wrapError | 0xc000...>: ".
	gomegaHeader = regexp.MustCompile(`^<[^>]*>:\s?`)
	// pointerAddr is an address Gomega prints; it means nothing to a reader.
	pointerAddr = regexp.MustCompile(`\s*\|\s*0x[0-9a-f]+`)
)

// Sentence turns a failure message into the one sentence a reader needs:
// the error's own message (not Gomega's type dump with pointer addresses),
// after the spec's own description when it gave one.
func Sentence(msg string) string {
	msg = strings.TrimSpace(strings.ReplaceAll(msg, "\r", ""))
	if msg == "" {
		return ""
	}
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "Unexpected error:" {
			desc := strings.TrimSpace(strings.Join(lines[:i], " "))
			text := errorText(lines[i+1:])
			switch {
			case desc == "":
				return clip(text)
			case text == "":
				return clip(desc)
			default:
				return clip(desc + ": " + text)
			}
		}
	}
	if hasExpectedForm(lines) {
		return clip(expectedText(lines))
	}
	return clip(pointerAddr.ReplaceAllString(strings.TrimSpace(lines[0]), ""))
}

// errorText reads the error's message out of Gomega's rendering of an
// error: a type header, the message (indented), then a dump of the value.
func errorText(lines []string) string {
	var parts []string
	for j, l := range lines {
		t := strings.TrimSpace(l)
		if j == 0 {
			t = strings.TrimSpace(gomegaHeader.ReplaceAllString(t, ""))
			if t != "" {
				parts = append(parts, t)
			}
			continue
		}
		if t == "occurred" || strings.HasPrefix(t, "{") || strings.HasPrefix(t, "<") {
			break
		}
		if t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func hasExpectedForm(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) == "Expected" {
			return true
		}
	}
	return false
}

// expectedText renders "Expected\n    <int>: 3\nto equal\n    <int>: 4" as
// "Expected 3 to equal 4", keeping any description before it.
func expectedText(lines []string) string {
	var parts []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if gomegaHeader.MatchString(t) {
			t = strings.TrimSpace(gomegaHeader.ReplaceAllString(t, ""))
			if r := []rune(t); len(r) > 80 {
				t = string(r[:80]) + "…"
			}
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > sentenceMax {
		return string(r[:sentenceMax]) + "…"
	}
	return s
}

// contextLines are the console lines just before a failure: the end of the
// spec's own transcript (each spec's transcript holds only what it saw).
const contextLines = 12

// transcriptTailMax bounds what is read of a transcript for the context.
const transcriptTailMax = 64 << 10

// consoleContext returns the last lines of the transcript at path, or of
// fallback (the console tail attached to the failure) when the file
// cannot be read.
func consoleContext(path, fallback string) []string {
	text := fallback
	if path != "" {
		if b, err := readTail(path, transcriptTailMax); err == nil {
			text = string(b)
		}
	}
	text = strings.ReplaceAll(text, "\r", "")
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) > contextLines {
		lines = lines[len(lines)-contextLines:]
	}
	return lines
}

func readTail(path string, n int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, os.ErrInvalid
	}
	if off := st.Size() - n; off > 0 {
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return io.ReadAll(io.LimitReader(f, n))
}
