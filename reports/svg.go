package reports

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/camrig/camrig/harness/timeline"
)

// Geometry of a timeline drawing, in SVG user units (pixels at 100 %).
const (
	svgWidth  = 960
	plotLeft  = 90  // lane labels live left of this
	plotRight = 20  // margin after the last instant
	axisTop   = 22  // room for the time axis labels
	laneH     = 26  // one source per lane
	barH      = 16  // span bar height, centred in its lane
	charW     = 6.5 // average label glyph width at the label font size
)

// laneOrder fixes where each source sits, so every spec's drawing reads the
// same way; sources outside this list get lanes after it.
var laneOrder = []timeline.Source{timeline.Power, timeline.Press, timeline.LED,
	timeline.Console, timeline.Step, timeline.API, timeline.Flash}

// drawing is a laid-out timeline: every coordinate is computed here, so the
// template only places elements and html/template only escapes text.
type drawing struct {
	Width, Height int
	Lanes         []drawnLane
	Bars          []drawnBar
	Ticks         []drawnTick
	Axis          []axisMark
	// Failure is where the spec failed, when that time is known.
	Failure *axisMark
	Start   time.Time
}

type drawnLane struct {
	Name   string
	Class  string
	Y      string // lane top
	W, H   int
	LabelY string
	Stripe bool
}

// drawnBar is a span: a press hold, a power-off interval.
type drawnBar struct {
	Class          string
	X, Y, W, H     string
	Label          string
	LabelX, LabelY string
	LabelInside    bool
	Title          string
}

// drawnTick is an instant: a console match, a power edge.
type drawnTick struct {
	Class          string
	X, Y1, Y2      string
	Label          string
	LabelX, LabelY string
	Title          string
}

type axisMark struct {
	X     string
	Label string
	Y2    string
}

func px(v float64) string { return fmt.Sprintf("%.1f", v) }

// layout draws events on lanes along [t0, t1]. from/to are the spec's own
// start and end (zero when unknown); they widen the axis when they overlap
// the events, so idle time before the first event shows as such.
func layout(events []timeline.Event, from, to, failedAt time.Time) *drawing {
	if len(events) == 0 {
		return nil
	}
	t0, t1 := events[0].At, events[0].At.Add(events[0].Dur)
	for _, e := range events {
		if e.At.Before(t0) {
			t0 = e.At
		}
		if end := e.At.Add(max(e.Dur, 0)); end.After(t1) {
			t1 = end
		}
	}
	// The spec's times come from the wall clock; use them only when the
	// events are on the same clock (a fake clock would put them decades
	// apart and squash every event into one pixel).
	if !from.IsZero() && !to.IsZero() && !from.After(t1) && !to.Before(t0) {
		if from.Before(t0) {
			t0 = from
		}
		if to.After(t1) {
			t1 = to
		}
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	span := t1.Sub(t0)
	plotW := float64(svgWidth - plotLeft - plotRight)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(t0)) / float64(span)
		return plotLeft + math.Min(math.Max(f, 0), 1)*plotW
	}

	lanes := laneIndex(events)
	d := &drawing{Width: svgWidth, Height: axisTop + len(lanes.order)*laneH + 4, Start: t0}
	for i, src := range lanes.order {
		top := float64(axisTop + i*laneH)
		d.Lanes = append(d.Lanes, drawnLane{Name: string(src), Class: sourceClass(src), Y: px(top), W: svgWidth, H: laneH,
			LabelY: px(top + laneH/2 + 4), Stripe: i%2 == 0})
	}
	for _, e := range events {
		top := float64(axisTop + lanes.index[e.Source]*laneH)
		cls := sourceClass(e.Source)
		title := eventTitle(e, t0)
		if e.Dur > 0 {
			x0, x1 := x(e.At), x(e.At.Add(e.Dur))
			w := math.Max(x1-x0, 1)
			label := strings.TrimSpace(e.Kind + " " + fmtDur(e.Dur))
			inside := float64(len(label))*charW+6 <= w
			lx := x0 + w + 3
			if inside {
				lx = x0 + 3
			}
			d.Bars = append(d.Bars, drawnBar{Class: cls, X: px(x0), Y: px(top + (laneH-barH)/2), W: px(w), H: px(barH),
				Label: label, LabelX: px(lx), LabelY: px(top + laneH/2 + 4), LabelInside: inside, Title: title})
			continue
		}
		xi := x(e.At)
		d.Ticks = append(d.Ticks, drawnTick{Class: cls, X: px(xi), Y1: px(top + 3), Y2: px(top + laneH - 3),
			Label: e.Kind, LabelX: px(xi + 3), LabelY: px(top + laneH/2 + 4), Title: title})
	}
	step := axisStep(span)
	for i := time.Duration(0); i <= span/step; i++ {
		off := i * step
		d.Axis = append(d.Axis, axisMark{X: px(x(t0.Add(off))), Label: "+" + fmtDur(off), Y2: px(float64(d.Height))})
	}
	if !failedAt.IsZero() && !failedAt.Before(t0) && !failedAt.After(t1) {
		d.Failure = &axisMark{X: px(x(failedAt)), Label: "failed +" + fmtDur(failedAt.Sub(t0)), Y2: px(float64(d.Height))}
	}
	return d
}

type laneSet struct {
	order []timeline.Source
	index map[timeline.Source]int
}

// laneIndex gives every fixed source a lane, then any other source seen.
func laneIndex(events []timeline.Event) laneSet {
	ls := laneSet{index: map[timeline.Source]int{}}
	add := func(s timeline.Source) {
		if _, ok := ls.index[s]; !ok {
			ls.index[s] = len(ls.order)
			ls.order = append(ls.order, s)
		}
	}
	for _, s := range laneOrder {
		add(s)
	}
	var extra []string
	for _, e := range events {
		if _, ok := ls.index[e.Source]; !ok && !contains(extra, string(e.Source)) {
			extra = append(extra, string(e.Source))
		}
	}
	sort.Strings(extra)
	for _, s := range extra {
		add(timeline.Source(s))
	}
	return ls
}

func contains(ss []string, s string) bool {
	for _, v := range ss {
		if v == s {
			return true
		}
	}
	return false
}

// sourceClass is the CSS class of a source; unknown or odd names share one
// so report data never shapes the stylesheet.
func sourceClass(s timeline.Source) string {
	for _, known := range laneOrder {
		if s == known {
			return "src-" + string(s)
		}
	}
	return "src-other"
}

// eventTitle is the hover text: everything the event recorded.
func eventTitle(e timeline.Event, t0 time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s at +%s", e.Source, e.Kind, fmtDur(e.At.Sub(t0)))
	if e.Dur > 0 {
		fmt.Fprintf(&b, " for %s", fmtDur(e.Dur))
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, "\n%s", e.Detail)
	}
	keys := make([]string, 0, len(e.Attrs))
	for k := range e.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%s=%s", k, e.Attrs[k])
	}
	return b.String()
}

// axisStep picks a 1-2-5 step giving at most ten axis marks.
func axisStep(span time.Duration) time.Duration {
	for step := time.Duration(1); ; step *= 10 {
		for _, m := range []time.Duration{1, 2, 5} {
			if span/(step*m) <= 10 {
				return step * m
			}
		}
	}
}

// fmtDur renders durations the way a lab reads them: 350ms, 35.2s, 3m5s.
func fmtDur(d time.Duration) string {
	switch {
	case d < 0:
		return "-" + fmtDur(-d)
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	default:
		return d.Round(time.Second).String()
	}
}
