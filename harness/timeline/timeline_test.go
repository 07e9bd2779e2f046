package timeline_test

import (
	"bytes"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/timeline"
)

func TestTimelineRecordsAndSerialises(t *testing.T) {
	tl := timeline.New("cam1")
	t0 := time.Unix(100, 0).UTC()
	tl.Mark(t0, timeline.Power, "on", "relay ch0")
	tl.Span(t0, t0.Add(300*time.Millisecond), timeline.Press, "press", "hold 300ms")
	ev := tl.Events()
	if len(ev) != 2 || ev[0].Unit != "cam1" || ev[1].Dur != 300*time.Millisecond {
		t.Fatalf("events = %+v", ev)
	}
	var buf bytes.Buffer
	if err := tl.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back []timeline.Event
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back) != 2 || back[1].Kind != "press" || !back[0].At.Equal(t0) {
		t.Fatalf("round trip = %+v", back)
	}
}

func TestNilTimelineIsSafe(t *testing.T) {
	var tl *timeline.Timeline
	tl.Mark(time.Now(), timeline.Step, "x", "")
	if tl.Events() != nil {
		t.Fatal("nil timeline returned events")
	}
}

func TestConcurrentAdds(t *testing.T) {
	tl := timeline.New("u")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				tl.Mark(time.Now(), timeline.Console, "m", "")
			}
		}()
	}
	wg.Wait()
	if n := len(tl.Events()); n != 800 {
		t.Fatalf("got %d events", n)
	}
}
