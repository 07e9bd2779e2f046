package powertest

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/power"
)

// Log captures every log record (at debug level) so tests can check that no
// credential reaches a log.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// LoggedDeps are backend deps with the real clock and a debug log captured
// in the returned Log.
func LoggedDeps() (power.Deps, *Log) {
	sink := &Log{}
	return power.Deps{Clock: clock.Real{}, Log: slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug}))}, sink
}

// NoLeak fails the test if s (an error text, a log: what) contains secret.
func NoLeak(t testing.TB, what, s, secret string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Fatalf("%s leaks the credential: %s", what, s)
	}
}
