package rig

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Holder is what a lock file records about the run holding a unit, so the
// next run can say who has it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
	Command string    `json:"command"`
	// User is the login name of the holder's process.
	User string `json:"user,omitempty"`
	// RunID is the run the unit is held for (CAMRIG_RUN_ID, the suites'
	// --run-id), so a shared nightly run's units are told apart.
	RunID string `json:"run_id,omitempty"`
}

// maxCommand bounds the recorded command line; it is for humans.
const maxCommand = 256

func currentHolder(now time.Time) Holder {
	host, _ := os.Hostname()
	return Holder{PID: os.Getpid(), Host: host, Since: now, Command: commandShape(os.Args),
		User: currentUser(), RunID: os.Getenv(RunIDEnv)}
}

// currentUser is the login name, "" when it cannot be told.
func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// elided stands for every argument value left out of a recorded command.
const elided = "…"

// commandShape renders a command line without its argument values: the
// program's base name, the subcommand and the flag names, every value
// replaced by elided. The lock file is readable by every user of the bench
// and its holder is printed in another run's "leased by" error, so a value
// (`console --send <password>`) must never reach it. Only the shape of the
// command is kept, which is what tells a human whose run it is.
func commandShape(args []string) string {
	if len(args) == 0 {
		return ""
	}
	out := []string{word(filepath.Base(args[0]))}
	for i, a := range args[1:] {
		switch {
		case a == "--":
			if i+2 < len(args) {
				out = append(out, "--", elided)
			}
			return bounded(out)
		case strings.HasPrefix(a, "-"):
			name, _, hasValue := strings.Cut(a, "=")
			switch {
			case !flagNameRe.MatchString(name):
				out = appendElided(out)
			case hasValue:
				out = append(out, name+"="+elided)
			default:
				out = append(out, name)
			}
		case i == 0 && subcommandRe.MatchString(a):
			out = append(out, a)
		default:
			out = appendElided(out)
		}
	}
	return bounded(out)
}

var (
	flagNameRe   = regexp.MustCompile(`^--?[A-Za-z][A-Za-z0-9._-]{0,31}$`)
	subcommandRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,23}$`)
	programRe    = regexp.MustCompile(`^[A-Za-z0-9._+-]{1,64}$`)
)

// appendElided adds one elided word, never two in a row.
func appendElided(words []string) []string {
	if words[len(words)-1] == elided {
		return words
	}
	return append(words, elided)
}

// word keeps a program name only when it looks like one.
func word(s string) string {
	if programRe.MatchString(s) {
		return s
	}
	return elided
}

// bounded joins words into at most maxCommand bytes, dropping whole words
// from the end (a cut word could read as a different one).
func bounded(words []string) string {
	n := 0
	for i, w := range words {
		if n+len(w) > maxCommand-len(" "+elided) {
			if i == 0 {
				return elided
			}
			if words[i-1] != elided {
				return strings.Join(words[:i], " ") + " " + elided
			}
			return strings.Join(words[:i], " ")
		}
		n += len(w) + 1
	}
	return strings.Join(words, " ")
}

// String renders "pid 1234 on host lab3 (camrig run ...) since 2026-...".
func (h Holder) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pid %d", h.PID)
	if host, _ := os.Hostname(); h.Host != "" && h.Host != host {
		fmt.Fprintf(&b, " on host %s", h.Host)
	}
	if h.Command != "" {
		fmt.Fprintf(&b, " (%s)", h.Command)
	}
	if h.User != "" {
		fmt.Fprintf(&b, " of user %s", h.User)
	}
	if h.RunID != "" {
		fmt.Fprintf(&b, " for run %s", h.RunID)
	}
	if !h.Since.IsZero() {
		fmt.Fprintf(&b, " since %s", h.Since.Format(time.RFC3339))
	}
	return b.String()
}

func (h Holder) marshal() []byte {
	b, _ := json.Marshal(h) // a struct of plain fields cannot fail
	return append(b, '\n')
}

// parseHolder reads a lock file's content. Lock files are written by other
// processes (and could be anything after a crash or a hand edit), so a bad
// one yields ok=false, never a panic.
func parseHolder(data []byte) (Holder, bool) {
	var h Holder
	if len(data) == 0 || json.Unmarshal(data, &h) != nil || h.PID <= 0 {
		return Holder{}, false
	}
	// A lock file written by an older camrig (or by hand) may hold whole
	// argument values: it is shaped again before anything prints it.
	h.Command = commandShape(strings.Fields(h.Command))
	// User and run id come from another process (or another host, through
	// the lab's etcd): printed only when they look like a name.
	if !recordNameRe.MatchString(h.User) {
		h.User = ""
	}
	if !recordNameRe.MatchString(h.RunID) {
		h.RunID = ""
	}
	return h, true
}

// recordNameRe is what a user name or run id in a holder record may be.
var recordNameRe = regexp.MustCompile(`^[A-Za-z0-9._@:+-]{1,64}$`)
