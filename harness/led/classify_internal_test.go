package led

import (
	"math"
	"testing"
	"time"
)

func TestClassifier(t *testing.T) {
	t0 := time.Unix(0, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	type obs struct {
		at    int
		level bool
	}
	cases := []struct {
		name string
		obs  []obs
		now  int
		want Kind
		hz   float64
	}{
		{"nothing seen", nil, 5000, Unknown, 0},
		{"too early to say", []obs{{0, true}}, 999, Unknown, 0},
		{"steady on", []obs{{0, true}}, 1000, On, 0},
		{"steady off after a change", []obs{{0, true}, {500, false}}, 1500, Off, 0},
		{"one change is not a blink", []obs{{0, true}, {500, false}}, 1400, Unknown, 0},
		{"2 Hz blink", []obs{{0, false}, {100, true}, {350, false}, {600, true}, {850, false}}, 900, Blinking, 2},
		{"uneven duty 2 Hz", []obs{{0, false}, {100, true}, {150, false}, {600, true}, {650, false}}, 700, Blinking, 2},
		{"three edges are no blink yet", []obs{{0, false}, {100, true}, {350, false}, {600, true}}, 610, Unknown, 0},
		{"irregular edges are no blink", []obs{{0, false}, {100, true}, {150, false}, {200, true}, {900, false}}, 910, Unknown, 0},
		{"blink ended, steady after a window", []obs{{0, false}, {100, true}, {350, false}, {600, true}}, 1600, On, 0},
		{"edges spread wider than the window are no blink", []obs{{0, false}, {100, true}, {700, false}, {1300, true}}, 1350, Unknown, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := classifier{window: time.Second, state: State{Kind: Unknown}}
			for _, o := range c.obs {
				cl.observe(ms(o.at), o.level)
				cl.classify(ms(o.at))
			}
			st, _ := cl.classify(ms(c.now))
			if st.Kind != c.want || math.Abs(st.Hz-c.hz) > 1e-9 {
				t.Fatalf("state = %v (%+v), want %v %v Hz", st, st, c.want, c.hz)
			}
		})
	}
}

func TestClassifierKeepsBlinkingUntilSteady(t *testing.T) {
	t0 := time.Unix(0, 0)
	cl := classifier{window: time.Second, state: State{Kind: Unknown}}
	lvl := false
	for i := 0; i <= 8; i++ { // 4 Hz: a change every 125 ms
		at := t0.Add(time.Duration(i) * 125 * time.Millisecond)
		cl.observe(at, lvl)
		cl.classify(at)
		lvl = !lvl
	}
	st, _ := cl.classify(t0.Add(1500 * time.Millisecond))
	if st.Kind != Blinking {
		t.Fatalf("half a window after the last edge: %v", st)
	}
	st, changed := cl.classify(t0.Add(2001 * time.Millisecond))
	if st.Kind != Off || !changed {
		t.Fatalf("a window after the last edge: %v (changed %v)", st, changed)
	}
}
