package console

import (
	"log/slog"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// DefaultWindow is how many received bytes a transcript keeps in memory
// before older ones spill to its file.
const DefaultWindow = 1 << 20

// Option configures Open and Dial.
type Option func(*options)

type options struct {
	clk     clock.Clock
	tl      *timeline.Timeline
	log     *slog.Logger
	dir     string
	window  int
	quiet   time.Duration
	fresh   bool
	secrets []secret.Secret
}

// DefaultLineQuiet is how long an unfinished line must stay silent before
// a regular expression may match in it (a prompt has no newline). It is
// far above the 16 ms a USB serial adapter holds a trickle of bytes, and
// above the stalls a loaded host puts between a line's pieces, because a
// line taken as finished too early gives a truncated match; a literal
// prompt (Lit) is matched at once and never waits for it.
const DefaultLineQuiet = 200 * time.Millisecond

func buildOptions(opts []Option) options {
	o := options{window: DefaultWindow, quiet: DefaultLineQuiet}
	for _, f := range opts {
		f(&o)
	}
	o.clk = clock.OrReal(o.clk)
	if o.log == nil {
		o.log = slog.New(slog.DiscardHandler)
	}
	return o
}

// WithClock sets the clock that stamps arrivals and bounds writes and
// reopen retries (default the wall clock).
func WithClock(c clock.Clock) Option { return func(o *options) { o.clk = c } }

// WithTimeline records matches, sends, baud switches and disconnections.
func WithTimeline(t *timeline.Timeline) Option { return func(o *options) { o.tl = t } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithTranscriptDir is where the transcript spills bytes that no longer fit
// its memory window (default os.TempDir()).
func WithTranscriptDir(dir string) Option { return func(o *options) { o.dir = dir } }

// WithWindow sets how many bytes the transcript keeps in memory (default
// DefaultWindow). Bytes Expect has not consumed yet stay in memory up to
// four windows; beyond that they spill too and Expect skips them (with a
// warning). Expect sees only what is in memory.
func WithWindow(bytes int) Option {
	return func(o *options) {
		if bytes > 0 {
			o.window = bytes
		}
	}
}

// WithLineQuiet sets how long an unfinished line must stay silent before a
// regular expression may match in it (default DefaultLineQuiet; see Re).
// Literals are unaffected: they match as their last byte arrives.
func WithLineQuiet(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.quiet = d
		}
	}
}

// WithFreshStart makes Open (or Dial) discard what the port holds when it
// opens, before the console's reader starts: output the unit gave while
// nobody listened (a previous boot, an earlier answer) is never read. For
// a command whose wait follows something it sends; a console that shows
// the unit's output wants those bytes. Ports that cannot discard (sockets)
// are opened as they are.
func WithFreshStart() Option { return func(o *options) { o.fresh = true } }

// WithRedact names secrets that must never appear in what the console
// renders: error tails, timeline details, and the transcript's String,
// WriteTo and WriteTimed. (The raw bytes handed to Expect and ReadContext
// are unchanged.)
func WithRedact(s ...secret.Secret) Option {
	return func(o *options) { o.secrets = append(o.secrets, s...) }
}
