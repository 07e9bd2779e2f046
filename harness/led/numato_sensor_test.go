package led_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/camrig/camrig/harness/drivers" // the led and power backends under test
	"github.com/camrig/camrig/harness/led"
	"github.com/camrig/camrig/harness/power/boardtest"
	"github.com/camrig/camrig/rigs/virtual/pty"
)

// The numato-gpio LED driver polls "gpio read N" on a board played on a pty.
func TestNumatoGPIOSensor(t *testing.T) {
	var lit atomic.Bool
	board := &boardtest.Numato{GPIO: func(pin int) bool { return pin == 3 && lit.Load() }}
	p, err := pty.Open(filepath.Join(t.TempDir(), "relay"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); board.Serve(p.Master) }()
	defer func() { p.Close(); <-done }()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := led.Open(ctx, led.Config{Driver: "numato-gpio", Port: p.Link, Pin: "3", Poll: 2 * time.Millisecond, Window: 50 * time.Millisecond}, led.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitFor(ctx, led.Off); err != nil {
		t.Fatal(err)
	}
	lit.Store(true)
	if _, err := s.WaitFor(ctx, led.On); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rx := string(board.Received())
	if rx == "" || strings.ReplaceAll(rx, "gpio read 3\r", "") != "" {
		t.Fatalf("board received %q, want only \"gpio read 3\\r\" commands", rx)
	}
}

func TestOpenErrors(t *testing.T) {
	cases := []struct {
		cfg  led.Config
		want string
	}{
		{led.Config{Driver: "morse"}, `unknown driver "morse"`},
		{led.Config{Driver: "numato-gpio", Port: "/dev/null", Pin: "x"}, `pin "x" is not a GPIO number`},
		{led.Config{Driver: "numato-gpio", Port: "/dev/null", Pin: "40"}, "out of range"},
		{led.Config{Driver: "gpio", Pin: "NO_SUCH_LED_PIN"}, `"NO_SUCH_LED_PIN" not found`},
		{led.Config{Driver: "gpio", Pin: "X", Poll: -1}, "must not be negative"},
	}
	for _, c := range cases {
		_, err := led.Open(context.Background(), c.cfg, led.Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: err = %v, want %q", c.cfg, err, c.want)
		}
	}
}
