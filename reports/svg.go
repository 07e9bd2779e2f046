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
	// Scale explains the axis when it is in profile time.
	Scale string
}

// StartText is t=0 as a reader wants it: the wall time to the microsecond.
func (d *drawing) StartText() string { return d.Start.Format("2006-01-02 15:04:05.000000 MST") }

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
	// Anchor is the label's text-anchor: "start", or "end" when the label
	// would run off the drawing's right edge and sits left of its mark.
	Anchor string
	Title  string
	// Requested is the hold that was asked for, drawn under the measured
	// one so a short or long press shows at a glance.
	Requested *drawnRect
}

type drawnRect struct{ X, Y, W, H string }

// drawnTick is an instant: a console match, a power edge.
type drawnTick struct {
	Class          string
	X, Y1, Y2      string
	Label          string
	LabelX, LabelY string
	Anchor         string // see drawnBar.Anchor
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
// the events, so idle time before the first event shows as such. scale is
// the rig's timescale: the axis reads in profile time (what the vendor's
// procedure says), real time is on hover.
func layout(events []timeline.Event, from, to, failedAt time.Time, scale float64) *drawing {
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
	return draw(events, t0, t1, failedAt, scale)
}

// zoomBefore is how many events before a failure its zoomed timeline shows.
const zoomBefore = 8

// zoom draws the moments before a failure: the last few events and the
// failure itself, so the cause is not a pixel wide on a long spec.
func zoom(events []timeline.Event, failedAt time.Time, scale float64) *drawing {
	var before []timeline.Event
	for _, e := range events {
		if !e.At.After(failedAt) {
			before = append(before, e)
		}
	}
	if len(before) == 0 {
		return nil
	}
	if len(before) > zoomBefore {
		before = before[len(before)-zoomBefore:]
	}
	t0 := before[0].At
	span := failedAt.Sub(t0)
	t1 := failedAt.Add(span/20 + time.Millisecond)
	var shown []timeline.Event
	for _, e := range events {
		if !e.At.Before(t0) && !e.At.After(t1) {
			shown = append(shown, e)
		}
	}
	return draw(shown, t0, t1, failedAt, scale)
}

// groupWindow merges API calls closer together than this fraction of the
// drawing's span into one mark, so a polling loop reads as one group.
const groupWindow = 0.01

func draw(events []timeline.Event, t0, t1, failedAt time.Time, scale float64) *drawing {
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	if scale <= 0 {
		scale = 1
	}
	span := t1.Sub(t0)
	plotW := float64(svgWidth - plotLeft - plotRight)
	x := func(t time.Time) float64 {
		f := float64(t.Sub(t0)) / float64(span)
		return plotLeft + math.Min(math.Max(f, 0), 1)*plotW
	}
	profile := func(d time.Duration) time.Duration { return time.Duration(float64(d) / scale) }
	events = groupAPI(events, time.Duration(float64(span)*groupWindow))

	lanes := laneIndex(events)
	// First pass: what each event draws and where its label would go; the
	// labels of a lane are then packed into as many rows as they need.
	type item struct {
		e        timeline.Event
		x0, x1   float64
		label    string
		lx, lw   float64
		row      int
		lane     int
		bar      bool
		inside   bool
		anchor   string
		title    string
		reqWidth float64
	}
	items := make([]item, 0, len(events))
	for _, e := range events {
		it := item{e: e, lane: lanes.index[e.Source], title: eventTitle(e, t0, scale)}
		it.label = eventLabel(e, scale)
		if e.Dur > 0 {
			it.bar = true
			it.x0, it.x1 = x(e.At), x(e.At.Add(e.Dur))
			if it.x1-it.x0 < 1 {
				it.x1 = it.x0 + 1
			}
			if req, err := time.ParseDuration(e.Attrs["requested"]); err == nil && req > 0 {
				it.reqWidth = math.Max(x(e.At.Add(req))-it.x0, 1)
			}
		} else {
			it.x0, it.x1 = x(e.At), x(e.At)
		}
		it.lw = float64(len([]rune(it.label))) * charW
		it.anchor = "start"
		switch {
		case it.bar && it.lw+6 <= it.x1-it.x0:
			it.inside = true
			it.lx = it.x0 + 3
		case it.x1+3+it.lw > svgWidth:
			// Near the right edge: the label goes left of its mark, so it
			// is never cut off.
			it.anchor = "end"
			it.lx = it.x0 - 3
		default:
			it.lx = it.x1 + 3
		}
		items = append(items, it)
	}
	// Pack labels: a label takes the first row of its lane where it does
	// not overlap the previous label's extent.
	rowsEnd := make([][]float64, len(lanes.order))
	rows := make([]int, len(lanes.order))
	for i := range items {
		it := &items[i]
		if it.label == "" || it.inside {
			continue
		}
		from, to := it.lx, it.lx+it.lw
		if it.anchor == "end" {
			from, to = it.lx-it.lw, it.lx
		}
		ends := rowsEnd[it.lane]
		r := 0
		for ; r < len(ends); r++ {
			if ends[r] <= from {
				break
			}
		}
		if r == len(ends) {
			ends = append(ends, 0)
		}
		ends[r] = to + 4
		rowsEnd[it.lane] = ends
		it.row = r
		if r+1 > rows[it.lane] {
			rows[it.lane] = r + 1
		}
	}
	laneTop := make([]float64, len(lanes.order))
	laneHeight := make([]float64, len(lanes.order))
	y := float64(axisTop)
	d := &drawing{Width: svgWidth, Start: t0}
	for i, src := range lanes.order {
		extra := max(rows[i]-1, 0)
		h := float64(laneH + extra*labelRowH)
		laneTop[i], laneHeight[i] = y, h
		d.Lanes = append(d.Lanes, drawnLane{Name: string(src), Class: sourceClass(src), Y: px(y), W: svgWidth, H: int(h),
			LabelY: px(y + laneH/2 + 4), Stripe: i%2 == 0})
		y += h
	}
	d.Height = int(y) + 4
	for _, it := range items {
		top := laneTop[it.lane]
		cls := sourceClass(it.e.Source)
		if it.e.Kind == "released-press" {
			cls += " release"
		}
		labelY := top + laneH/2 + 4 + float64(it.row*labelRowH)
		if it.bar {
			b := drawnBar{Class: cls, X: px(it.x0), Y: px(top + (laneH-barH)/2), W: px(it.x1 - it.x0), H: px(barH),
				Label: it.label, LabelX: px(it.lx), LabelY: px(labelY), LabelInside: it.inside, Anchor: it.anchor, Title: it.title}
			if it.reqWidth > 0 {
				b.Requested = &drawnRect{X: px(it.x0), Y: px(top + (laneH+barH)/2 + 1), W: px(it.reqWidth), H: "3"}
			}
			d.Bars = append(d.Bars, b)
			continue
		}
		d.Ticks = append(d.Ticks, drawnTick{Class: cls, X: px(it.x0), Y1: px(top + 3), Y2: px(top + laneHeight[it.lane] - 3),
			Label: it.label, LabelX: px(it.lx), LabelY: px(labelY), Anchor: it.anchor, Title: it.title})
	}
	step := axisStep(profile(span))
	for i := time.Duration(0); i <= profile(span)/step; i++ {
		off := i * step
		real := time.Duration(float64(off) * scale)
		d.Axis = append(d.Axis, axisMark{X: px(x(t0.Add(real))), Label: "+" + fmtDur(off), Y2: px(float64(d.Height))})
	}
	if scale != 1 {
		d.Scale = fmt.Sprintf("profile time (timescale %g: 1 s on the axis took %s)", scale, fmtDur(time.Duration(float64(time.Second)*scale)))
	}
	if !failedAt.IsZero() && !failedAt.Before(t0) && !failedAt.After(t1) {
		d.Failure = &axisMark{X: px(x(failedAt)), Label: "failed +" + fmtDur(profile(failedAt.Sub(t0))), Y2: px(float64(d.Height))}
	}
	return d
}

// labelRowH is the height of each extra row of labels in a lane.
const labelRowH = 13

// eventLabel is what an event says on the drawing: a press its measured and
// requested hold, a console mark the marker it matched, an LED edge
// nothing (the release edge says so), an API group its size.
func eventLabel(e timeline.Event, scale float64) string {
	prof := func(d time.Duration) string { return fmtDur(time.Duration(float64(d) / scale)) }
	switch {
	case e.Source == timeline.Press && e.Attrs["requested"] != "":
		req, _ := time.ParseDuration(e.Attrs["requested"])
		if strings.HasPrefix(e.Kind, "hold-until") {
			// Held until a condition, the requested length is its bound.
			return fmt.Sprintf("%s %s (max %s)", e.Kind, prof(e.Dur), prof(req))
		}
		return fmt.Sprintf("%s %s (asked %s)", e.Kind, prof(e.Dur), prof(req))
	case e.Source == timeline.Console && e.Kind == "match":
		if t := e.Attrs["text"]; t != "" {
			return t
		}
		return e.Detail
	case e.Source == timeline.LED && strings.HasPrefix(e.Kind, "edge-"):
		return ""
	case e.Source == timeline.LED && e.Kind == "released-press":
		return "released the press"
	case e.Dur > 0:
		return strings.TrimSpace(e.Kind + " " + prof(e.Dur))
	}
	return e.Kind
}

// groupAPI merges runs of API calls that follow each other within window
// into one span "N calls" whose hover lists them.
func groupAPI(events []timeline.Event, window time.Duration) []timeline.Event {
	out := make([]timeline.Event, 0, len(events))
	var run []timeline.Event
	flush := func() {
		switch len(run) {
		case 0:
		case 1:
			out = append(out, run[0])
		default:
			first, last := run[0], run[len(run)-1]
			end := last.At.Add(max(last.Dur, 0))
			var b strings.Builder
			for _, e := range run {
				fmt.Fprintf(&b, "%s %s %s\n", e.At.Format("15:04:05.000"), e.Kind, e.Detail)
			}
			out = append(out, timeline.Event{At: first.At, Dur: end.Sub(first.At), Unit: first.Unit, Source: timeline.API,
				Kind: fmt.Sprintf("%d calls", len(run)), Detail: strings.TrimSpace(b.String())})
		}
		run = run[:0]
	}
	for _, e := range events {
		if e.Source != timeline.API {
			out = append(out, e)
			continue
		}
		if len(run) > 0 {
			last := run[len(run)-1]
			if e.At.Sub(last.At.Add(max(last.Dur, 0))) > window {
				flush()
			}
		}
		run = append(run, e)
	}
	flush()
	sort.SliceStable(out, func(a, b int) bool { return out[a].At.Before(out[b].At) })
	return out
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

// eventTitle is the hover text: everything the event recorded, in profile
// time and in real time.
func eventTitle(e timeline.Event, t0 time.Time, scale float64) string {
	var b strings.Builder
	prof := func(d time.Duration) string { return fmtDur(time.Duration(float64(d) / scale)) }
	fmt.Fprintf(&b, "%s %s at +%s", e.Source, e.Kind, prof(e.At.Sub(t0)))
	if e.Dur > 0 {
		fmt.Fprintf(&b, " for %s", prof(e.Dur))
	}
	if scale != 1 {
		fmt.Fprintf(&b, " (real: %s +%s", e.At.Format("15:04:05.000000"), fmtDur(e.At.Sub(t0)))
		if e.Dur > 0 {
			fmt.Fprintf(&b, " for %s", fmtDur(e.Dur))
		}
		b.WriteString(")")
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
