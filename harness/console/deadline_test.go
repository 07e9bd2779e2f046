package console

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

func TestExpectDeadlineOnFakeClockNamesWhatAndShowsTail(t *testing.T) {
	fake := clocktest.New(time.Unix(1700000000, 0))
	tl := timeline.New("cam2")
	c, pair := ptyConsole(t, WithClock(fake), WithTimeline(tl), WithRedact(secret.Literal("s3cretpw")))
	early := strings.Repeat("A", 150)
	late := "\x00\xffboot stalled; passwd s3cretpw; " + strings.Repeat("z", 120) + "\r\nlast line"
	pair.Master.Write([]byte(early + late))
	if _, err := c.Expect(ctxFor(t, "tail"), Lit("last line")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := clock.WithTimeout(context.Background(), fake, 30*time.Second, "boot-ready marker")
	defer cancel()
	<-fake.Waiters()
	done := make(chan error, 1)
	go func() {
		_, err := c.Expect(ctx, Lit("Check dir /dav ok!"), Re(`login:\s*$`))
		done <- err
	}()
	fake.Advance(29 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("Expect ended before its deadline: %v", err)
	default:
	}
	fake.Advance(time.Second)
	err := <-done
	var ee *ExpectError
	if !errors.As(err, &ee) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %#v", err)
	}
	msg := err.Error()
	// Everything shown arrived before the wait began: the message says so.
	for _, want := range []string{c.Name(), `"Check dir /dav ok!"`, `/login:\s*$/`, "boot-ready marker", "nothing received since the wait began", `\x00\xffboot stalled`, "[redacted]", "last line"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "s3cretpw") || strings.Contains(msg, strings.Repeat("A", 60)) {
		t.Errorf("error leaks the secret or more than the tail:\n%s", msg)
	}
	var kinds []string
	for _, e := range tl.Events() {
		kinds = append(kinds, e.Kind)
		if strings.Contains(e.Detail, "s3cretpw") {
			t.Errorf("timeline leaks the secret: %+v", e)
		}
	}
	if got := strings.Join(kinds, ","); got != "open,match,no-match" {
		t.Fatalf("timeline = %s", got)
	}
}

func TestExpectCancelledIsNotADeadline(t *testing.T) {
	c, _ := ptyConsole(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := c.Expect(ctx, Lit("x"))
	if !errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "nothing received yet") {
		t.Fatalf("err = %v", err)
	}
}

func TestExpectArgumentErrors(t *testing.T) {
	c, _ := ptyConsole(t)
	ctx := ctxFor(t, "args")
	if _, err := c.Expect(ctx); err == nil {
		t.Fatal("no patterns accepted")
	}
	if _, err := c.Expect(ctx, Lit("ok"), Re(`(`)); err == nil || !strings.Contains(err.Error(), "/(/") {
		t.Fatalf("bad regex: %v", err)
	}
}
