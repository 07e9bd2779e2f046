package secret

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkRedactReport redacts a JSON report the shape of a 12-unit
// run's (transcripts and timelines quoted into JSON strings: a backslash
// every few dozen bytes) for the 21 secrets of a 12-unit virtual rig, with
// Redact and, side by side, with every value tried at every position
// (everywhere): the ratio is what scan's shortcuts save.
func BenchmarkRedactReport(b *testing.B) {
	var vals []string
	for range 21 {
		vals = append(vals, rand.Text()[:16])
	}
	m := NewValueMatcher(vals...)
	var log strings.Builder
	for i := 0; log.Len() < 2<<20; i++ {
		log.WriteString("U-Boot 2013.07 \"isvp_t10\" # sf probe; echo __camrig_rc_1=$?\r\n")
		log.WriteString("[    1.234567] ipc: system ready \\ ok\tdone <tag a='1'> & more\n")
	}
	report, err := json.Marshal(map[string]string{"transcript": log.String()})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		redact func([]byte) []byte
	}{
		{"redact", m.Redact},
		{"everywhere", func(p []byte) []byte { return everywhere(m, p) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(report)))
			for b.Loop() {
				c.redact(report)
			}
		})
	}
}
