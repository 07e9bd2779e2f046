package console

import (
	"fmt"
	"io"
	"sort"
	"time"
)

// Note is a line of the harness's own (a power edge, a key sent, a press)
// to interleave with what the unit said.
type Note struct {
	At   time.Time
	Text string
}

// noteMark sets the harness's lines apart from the unit's in a timed
// transcript.
const noteMark = ">>"

// WriteTimedSince renders, as WriteTimed does, the lines whose first byte
// arrived at or after since, with notes interleaved by time (each marked
// ">>"), so a reader sees what the harness did between what the unit said.
// Notes are written as given: the caller redacts them (timeline details
// are redacted when recorded).
func (t *Transcript) WriteTimedSince(w io.Writer, since time.Time, notes []Note) error {
	notes = append([]Note(nil), notes...)
	sort.SliceStable(notes, func(a, b int) bool { return notes[a].At.Before(notes[b].At) })
	writeNotesUpTo := func(at time.Time, inclusive bool) error {
		for len(notes) > 0 && (notes[0].At.Before(at) || (inclusive && notes[0].At.Equal(at))) {
			if !notes[0].At.Before(since) {
				if _, err := fmt.Fprintf(w, "%s %s %s\n", notes[0].At.Format(timedLayout), noteMark, notes[0].Text); err != nil {
					return err
				}
			}
			notes = notes[1:]
		}
		return nil
	}
	err := t.timedLines(func(at time.Time, text string) error {
		if at.Before(since) {
			return nil
		}
		if err := writeNotesUpTo(at, true); err != nil {
			return err
		}
		_, err := fmt.Fprintf(w, "%s %s\n", at.Format(timedLayout), text)
		return err
	})
	if err != nil {
		return err
	}
	if len(notes) > 0 {
		return writeNotesUpTo(notes[len(notes)-1].At, true)
	}
	return nil
}
