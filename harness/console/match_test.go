package console

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// feed runs a matcher over chunks the way the console does: each chunk
// appended, then a scan of everything after the cursor; once all have
// arrived, the stream goes quiet and it scans once more.
func feed(pats []Pattern, chunks []string) (found, string, bool) {
	m := newMatcher(pats, 0)
	var buf []byte
	for _, c := range chunks {
		buf = append(buf, c...)
		if f, ok, _ := m.scan(stream{hay: buf, lineStart: true}); ok {
			return f, string(buf[f.start:f.end]), true
		}
	}
	if f, ok, _ := m.scan(stream{hay: buf, lineStart: true, quiet: true}); ok {
		return f, string(buf[f.start:f.end]), true
	}
	return found{}, "", false
}

func TestMatcher(t *testing.T) {
	cases := []struct {
		name   string
		pats   []Pattern
		chunks []string
		index  int
		start  int64
		text   string
		groups []string
	}{
		{"literal in one read", []Pattern{Lit("=> ")}, []string{"U-Boot\r\n=> "}, 0, 8, "=> ", nil},
		{"marker split across reads", []Pattern{Lit("Starting kernel")}, []string{"...\r\nStar", "ting ker", "nel ...\r\n"}, 0, 5, "Starting kernel", nil},
		{"marker split byte by byte", []Pattern{Lit("HKVS # ")}, strings.Split("xxHKVS # ", ""), 0, 2, "HKVS # ", nil},
		{"leftmost wins over pattern order", []Pattern{Lit("b"), Lit("a")}, []string{"xab"}, 1, 1, "a", nil},
		{"tie goes to the earlier pattern", []Pattern{Re(`ab+`), Lit("ab")}, []string{"xxabb"}, 0, 2, "abb", nil},
		{"regex with group", []Pattern{Re(`autoboot:\s+(\d)`)}, []string{"Hit any key to stop autoboot:", "  3"}, 0, 20, "autoboot:  3", []string{"3"}},
		{"regex split across reads", []Pattern{Re(`Total Size\s+= 0x[0-9a-f]{8}`)}, []string{"## Total Si", "ze      = 0x0000", "1000 = 4096 Bytes"}, 0, 3, "Total Size      = 0x00001000", nil},
		{"line anchor", []Pattern{Re(`^=> $`)}, []string{"x=> \r\n", "=> "}, 0, 6, "=> ", nil},
		{"NUL and invalid UTF-8 around a literal", []Pattern{Lit("ok")}, []string{"\x00\xff\xfe\xc3", "\x28o", "k\x00"}, 0, 5, "ok", nil},
		{"literal of invalid UTF-8", []Pattern{Lit("\xff\x00\xfe")}, []string{"ab\xff", "\x00", "\xfe"}, 0, 2, "\xff\x00\xfe", nil},
		{"regex over garbage", []Pattern{Re(`ready`)}, []string{"\xff\xfe\xfd", "\x80ready"}, 0, 4, "ready", nil},
		{"overlapping prefix", []Pattern{Lit("aab")}, []string{"aaa", "ab"}, 0, 2, "aab", nil},
		{"optional group empty", []Pattern{Re(`x(y)?z`)}, []string{"xz"}, 0, 0, "xz", []string{""}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, text, ok := feed(c.pats, c.chunks)
			if !ok {
				t.Fatalf("no match in %q", strings.Join(c.chunks, ""))
			}
			if f.index != c.index || f.start != c.start || text != c.text {
				t.Fatalf("got index %d start %d %q, want %d %d %q", f.index, f.start, text, c.index, c.start, c.text)
			}
			if strings.Join(f.groups, "|") != strings.Join(c.groups, "|") {
				t.Fatalf("groups %q, want %q", f.groups, c.groups)
			}
		})
	}
}

func TestMatcherNoMatch(t *testing.T) {
	if f, _, ok := feed([]Pattern{Lit("abc"), Re(`x\d`)}, []string{"ab", "xc", "x", "y"}); ok {
		t.Fatalf("false match %+v", f)
	}
}

func TestMatcherResumesWithoutRescanning(t *testing.T) {
	// A long stream that never matches: each pattern's resume point must
	// stay near the end, or every chunk would rescan everything.
	pats := []Pattern{Lit("never"), Re(`never\d`)}
	m := newMatcher(pats, 0)
	var buf []byte
	for i := 0; i < 2000; i++ {
		buf = append(buf, "boot line without the marker\n"...)
		if _, ok, _ := m.scan(stream{hay: buf, lineStart: true}); ok {
			t.Fatal("false match")
		}
	}
	if m.next[0] < int64(len(buf)-len("never")) {
		t.Fatalf("literal resume %d of %d", m.next[0], len(buf))
	}
	if m.next[1] < int64(len(buf)-ReLookback-100) {
		t.Fatalf("regex resume %d of %d", m.next[1], len(buf))
	}
}

func TestPatternErrors(t *testing.T) {
	for _, p := range []Pattern{Lit(""), Re(""), Re(`(`), {}} {
		if p.Err() == nil {
			t.Errorf("%v: no error", p)
		}
	}
	if Re(`a(`).Err() == nil || !strings.Contains(Re(`a(`).Err().Error(), "/a(/") {
		t.Errorf("regex error does not name the pattern: %v", Re(`a(`).Err())
	}
}

// FuzzMatcher feeds arbitrary streams, split at arbitrary points, with a
// literal and a regular expression. It must never panic, must find a
// literal that is present at its first occurrence, and must not report one
// that is absent.
func FuzzMatcher(f *testing.F) {
	f.Add([]byte("U-Boot\r\nHit any key\r\n=> "), []byte("=> "), "key", uint8(3))
	f.Add([]byte("\x00\xff\xfe\x00ok"), []byte("\x00o"), `\x00+`, uint8(1))
	f.Add([]byte("aaaab"), []byte("aab"), `^a*b$`, uint8(2))
	f.Add([]byte("Linux version 3.18.20-hisi_v500 (gcc)\r\n"), []byte("3.18"), `Linux version (\S+)`, uint8(4))
	f.Add([]byte("xx\nab\r\nab"), []byte("b"), `^ab$`, uint8(1))
	f.Fuzz(func(t *testing.T, stream, lit []byte, expr string, step uint8) {
		if len(lit) == 0 {
			return
		}
		pats := []Pattern{Lit(string(lit))}
		if re, err := regexp.Compile("(?m)" + expr); err == nil && re.NumSubexp() < 10 {
			pats = append(pats, Re(expr))
		}
		n := int(step%16) + 1
		var chunks []string
		for i := 0; i < len(stream); i += n {
			chunks = append(chunks, string(stream[i:min(i+n, len(stream))]))
		}
		// Literal alone: exact first occurrence.
		f, text, ok := feed(pats[:1], chunks)
		want := bytes.Index(stream, lit)
		switch {
		case want < 0 && ok:
			t.Fatalf("found absent literal %q at %d", lit, f.start)
		case want >= 0 && !ok:
			t.Fatalf("missed literal %q at %d", lit, want)
		case ok && (f.start != int64(want) || text != string(lit)):
			t.Fatalf("literal at %d %q, want %d", f.start, text, want)
		}
		// With the regex too: no panic, and any match is real.
		if f, text, ok := feed(pats, chunks); ok {
			if f.start < 0 || f.end > int64(len(stream)) || text != string(stream[f.start:f.end]) {
				t.Fatalf("bad match %+v", f)
			}
		}
		// A regex that cannot span lines sees, read by read, what it sees
		// in the whole stream at once: where reads end changes nothing.
		if len(pats) == 2 && !pats[1].multiLine && len(stream) < ReLookback {
			got, _, gotOK := feed(pats[1:], chunks)
			want, _, wantOK := feed(pats[1:], []string{string(stream)})
			if gotOK != wantOK || got.start != want.start || got.end != want.end || strings.Join(got.groups, "|") != strings.Join(want.groups, "|") {
				t.Fatalf("read by read %+v (%v), at once %+v (%v)", got, gotOK, want, wantOK)
			}
		}
	})
}
