package rig

import (
	"encoding/json"
	"fmt"
	"os"
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
}

// maxCommand bounds the recorded command line; it is for humans.
const maxCommand = 256

func currentHolder(now time.Time) Holder {
	host, _ := os.Hostname()
	cmd := strings.Join(os.Args, " ")
	if len(cmd) > maxCommand {
		cmd = cmd[:maxCommand] + "..."
	}
	return Holder{PID: os.Getpid(), Host: host, Since: now, Command: cmd}
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
	if len(h.Command) > maxCommand+3 {
		h.Command = h.Command[:maxCommand] + "..."
	}
	return h, true
}
