package procedure_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/clock/clocktest"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/console/consoletest"
	"github.com/camrig/camrig/harness/power/powertest"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/profile"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

func loadProfile(t *testing.T, model string) *profile.Profile {
	t.Helper()
	p, err := profile.LoadModel("../../fixtures/profiles", model)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeUnit wires a power fake to a scripted console device: when power goes
// on, the device prints script.
func fakeUnit(t *testing.T, model string, clk clock.Clock, script func(d *consoletest.Device)) (*procedure.Unit, *powertest.Fake, *consoletest.Device) {
	t.Helper()
	con, dev := consoletest.New(t, console.WithClock(clk))
	sw := &powertest.Fake{Name: "fake-relay#0"}
	sw.OnSet = func(on bool) {
		if on && script != nil {
			go script(dev)
		}
	}
	return &procedure.Unit{
		Name: "cam1", Profile: loadProfile(t, model), Clock: clk, Scale: 0.01,
		Timeline: timeline.New("cam1"), Power: sw, Console: con,
	}, sw, dev
}

func TestColdBootWaitsForReadyMarker(t *testing.T) {
	u, sw, _ := fakeUnit(t, "hikvision-ds2cd", clock.Real{}, func(d *consoletest.Device) {
		d.Print("U-Boot 1.3.4\r\nUBIFS (ubi0:0): recovery needed\r\n")
		d.Print("Check dir /dav ok!\r\n")
	})
	b, err := procedure.ColdBoot(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if got := sw.Edges(); len(got) != 2 || got[0] || !got[1] {
		t.Fatalf("power edges = %v, want off then on", got)
	}
	if !b.Has("recovery") || b.Has("factory") {
		t.Fatalf("marks = %v", b.Marks)
	}
	if b.ReadyAt.Before(b.PoweredAt) || b.ProfileTime != time.Duration(float64(b.Took)/0.01) {
		t.Fatalf("boot = %+v", b)
	}
	kinds := []string{}
	for _, e := range u.Timeline.Events() {
		kinds = append(kinds, string(e.Source)+":"+e.Kind)
	}
	if !strings.Contains(strings.Join(kinds, " "), "power:on") || kinds[len(kinds)-1] != "step:booted" {
		t.Fatalf("timeline = %v", kinds)
	}
}

func TestBootDeadlineComesFromProfileTimesTimescale(t *testing.T) {
	start := time.Unix(0, 0)
	fake := clocktest.New(start)
	u, _, _ := fakeUnit(t, "hikvision-ds2cd", fake, func(d *consoletest.Device) {
		d.Print("U-Boot 1.3.4\r\nStarting kernel ...\r\n") // never ready
	})
	// hikvision-ds2cd's boot deadline is 90 s; x 0.01 it is 900 ms.
	const want = 900 * time.Millisecond
	if u.Profile.Boot.Deadline != 90*time.Second {
		t.Fatalf("fixture changed: deadline %v", u.Profile.Boot.Deadline)
	}
	done := make(chan error, 1)
	go func() {
		_, err := procedure.PowerOnBoot(context.Background(), u)
		done <- err
	}()
	<-fake.Waiters()
	// The wait armed exactly one timer, at the profile deadline x timescale
	// (a halved or doubled deadline fails here, whatever the scheduler does).
	if got := fake.Deadlines(); len(got) != 1 || !got[0].Equal(start.Add(want)) {
		t.Fatalf("armed deadlines %v, want one at +%v", got, want)
	}
	// 1 ms before it nothing has fired: the timer is still armed.
	fake.Advance(want - time.Millisecond)
	if got := fake.Deadlines(); len(got) != 1 || !got[0].Equal(start.Add(want)) {
		t.Fatalf("after %v: armed deadlines %v, want the one at +%v still armed", want-time.Millisecond, got, want)
	}
	select {
	case err := <-done:
		t.Fatalf("ended before the deadline: %v", err)
	default:
	}
	fake.Advance(time.Millisecond)
	err := <-done
	var de *clock.DeadlineError
	if !errors.As(err, &de) || de.Allowed != want {
		t.Fatalf("err = %v, want a deadline of %v", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "Check dir /dav ok!") {
		t.Fatalf("err = %v", err)
	}
}

func TestBootFailsWhenPowerBoardFails(t *testing.T) {
	u, sw, _ := fakeUnit(t, "blink", clock.Real{}, nil)
	sw.Err = errors.New("numato:/dev/ttyACM0 channel 0: no answer")
	if _, err := procedure.ColdBoot(context.Background(), u); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Fatalf("err = %v", err)
	}
}

// A procedure on a unit whose rig file leaves out a binding it needs names
// the binding instead of panicking on a nil driver, and touches nothing.
func TestProcedureNamesAMissingBinding(t *testing.T) {
	cases := []struct {
		name     string
		strip    func(u *procedure.Unit)
		run      func(ctx context.Context, u *procedure.Unit) error
		want     string
		powerSet bool // whether the power fake may have been switched
	}{
		{"cold boot without console", func(u *procedure.Unit) { u.Console = nil },
			func(ctx context.Context, u *procedure.Unit) error { _, err := procedure.ColdBoot(ctx, u); return err },
			"cam1: a cold boot needs a console binding", false},
		{"cold boot without power", func(u *procedure.Unit) { u.Power = nil },
			func(ctx context.Context, u *procedure.Unit) error { _, err := procedure.ColdBoot(ctx, u); return err },
			"cam1: a cold boot needs a power binding", false},
		{"outage without either", func(u *procedure.Unit) { u.Power, u.Console = nil, nil },
			func(ctx context.Context, u *procedure.Unit) error {
				_, err := procedure.PowerOutage(ctx, u, procedure.ResetOptions{})
				return err
			},
			"cam1: a power outage needs a power and a console binding", false},
		{"factory reset without console", func(u *procedure.Unit) { u.Console = nil },
			func(ctx context.Context, u *procedure.Unit) error {
				_, err := procedure.FactoryReset(ctx, u, procedure.ResetOptions{})
				return err
			},
			"cam1: a factory hold needs a console binding", false},
		{"reflash without console", func(u *procedure.Unit) { u.Console = nil },
			func(ctx context.Context, u *procedure.Unit) error {
				_, err := procedure.Reflash(ctx, u, []byte{1}, procedure.ReflashOptions{})
				return err
			},
			"cam1: a reflash needs a console binding", false},
		{"power off without power", func(u *procedure.Unit) { u.Power = nil },
			func(ctx context.Context, u *procedure.Unit) error { return procedure.PowerOff(ctx, u) },
			"cam1: powering off needs a power binding", false},
		// The control: with both bindings the same unit powers off.
		{"power off with power", func(u *procedure.Unit) {},
			func(ctx context.Context, u *procedure.Unit) error { return procedure.PowerOff(ctx, u) },
			"", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, sw, _ := fakeUnit(t, "hikvision-ds2cd", clock.Real{}, nil)
			tc.strip(u)
			err := tc.run(context.Background(), u)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
			if got := len(sw.Edges()) > 0; got != tc.powerSet {
				t.Fatalf("power switched: %v (edges %v), want %v", got, sw.Edges(), tc.powerSet)
			}
		})
	}
}

// TestBootEndsAtOnceOnAKernelPanic: the unit's boot log panics. The wait
// ends on that line, long before its deadline (the fake clock is never
// advanced, so only the line can end it), with the marker, the line and
// the lines before it in a typed error, secrets redacted.
func TestBootEndsAtOnceOnAKernelPanic(t *testing.T) {
	fake := clocktest.New(time.Unix(0, 0))
	pw := "Pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	con, dev := consoletest.New(t, console.WithClock(fake), console.WithRedact(secret.Literal(pw)))
	sw := &powertest.Fake{Name: "fake-relay#0"}
	sw.OnSet = func(on bool) {
		if on {
			// In 23-byte pieces: 2 ms of a 115200 baud line each.
			go dev.Trickle("U-Boot 1.3.4\r\nStarting kernel ...\r\n[    1.9] mount root with password "+pw+"\r\n"+
				"[    2.104000] VFS: Cannot open root device \"mtdblock3\"\r\n"+
				"[    2.104000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(31,3)\r\n"+
				"[    2.104000] CPU: 0 PID: 1 Comm: swapper Not tainted 3.18.20 #1\r\n", 23)
		}
	}
	u := &procedure.Unit{Name: "cam1", Profile: loadProfile(t, "hikvision-ds2cd"), Clock: fake, Scale: 0.01,
		Timeline: timeline.New("cam1"), Power: sw, Console: con}
	done := make(chan error, 1)
	go func() {
		_, err := procedure.PowerOnBoot(context.Background(), u)
		done <- err
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second): // a bound for a failed test, never a pass
		t.Fatal("the boot wait did not end on the panic line (its fake-clock deadline never comes)")
	}
	var fe *procedure.BootFailureError
	if !errors.As(err, &fe) || !errors.Is(err, procedure.ErrBootFailure) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if fe.Marker.Name != "kernel-panic" || fe.Line != "[    2.104000] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(31,3)" {
		t.Fatalf("marker %v, line %q", fe.Marker, fe.Line)
	}
	ctx := strings.Join(fe.Context, "\n")
	if !strings.Contains(ctx, "Starting kernel ...") || !strings.HasSuffix(ctx, `VFS: Cannot open root device "mtdblock3"`) {
		t.Fatalf("context lines: %q", fe.Context)
	}
	if msg := err.Error(); strings.Contains(msg, pw) || !strings.Contains(msg, "[redacted]") || !strings.Contains(msg, "cam1 is failing: console shows kernel-panic") {
		t.Fatalf("message leaks the secret or misses the marker:\n%s", msg)
	}
}

// TestBootEndsOnABootloaderPrompt: a unit that stops at its bootloader's
// prompt (no kernel it could start) prints the prompt without a newline;
// the wait ends on it once the line goes quiet, not at the deadline.
func TestBootEndsOnABootloaderPrompt(t *testing.T) {
	u, _, _ := fakeUnit(t, "hikvision-ds2cd", clock.Real{}, func(d *consoletest.Device) {
		d.Print("U-Boot 1.3.4\r\n## Booting kernel from Legacy Image at 82000000 ...\r\nHKVS # ")
	})
	_, err := procedure.PowerOnBoot(context.Background(), u)
	var fe *procedure.BootFailureError
	if !errors.As(err, &fe) || fe.Marker.Name != profile.BootloaderPromptMarker || fe.Line != "HKVS # " {
		t.Fatalf("err = %v", err)
	}
}

// TestBootFailureMarkersFollowTheProfile: a marker the profile disables
// does not end the wait (it runs to the deadline), one it adds does.
func TestBootFailureMarkersFollowTheProfile(t *testing.T) {
	for _, c := range []struct {
		name, markers, log string
		wantMarker         string
	}{
		{"disabled default", "{disable: [kernel-panic]}", "Kernel panic - not syncing: test\r\n", ""},
		{"added marker", "{add: [{name: isp-dead, text: \"ISP: sensor lost\"}]}", "[ 3.1] ISP: sensor lost (i2c timeout)\r\n", "isp-dead"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fake := clocktest.New(time.Unix(0, 0))
			u, _, _ := fakeUnit(t, "hikvision-ds2cd", fake, func(d *consoletest.Device) { d.Print(c.log) })
			data, err := os.ReadFile(u.Profile.File)
			if err != nil {
				t.Fatal(err)
			}
			p, err := profile.Parse(u.Profile.File, []byte(strings.Replace(string(data), "deadline: 90s", "deadline: 90s\n  failure_markers: "+c.markers, 1)))
			if err != nil {
				t.Fatal(err)
			}
			u.Profile = p
			done := make(chan error, 1)
			go func() {
				_, err := procedure.PowerOnBoot(context.Background(), u)
				done <- err
			}()
			if c.wantMarker != "" {
				var fe *procedure.BootFailureError
				select {
				case err := <-done:
					if !errors.As(err, &fe) || fe.Marker.Name != c.wantMarker {
						t.Fatalf("err = %v", err)
					}
				case <-time.After(10 * time.Second): // a bound for a failed test, never a pass
					t.Fatal("the profile's own marker did not end the wait")
				}
				return
			}
			<-fake.Waiters()
			fake.Advance(900 * time.Millisecond)
			if err := <-done; !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, procedure.ErrBootFailure) {
				t.Fatalf("a disabled marker ended the wait: %v", err)
			}
		})
	}
}

// TestPowerOnBootIgnoresTheLastBootsReadyLine: the console already holds
// the ready line of a boot before this one (nobody consumed it). The wait
// after power on must take the new boot's, which comes with a recovery
// marker first.
func TestPowerOnBootIgnoresTheLastBootsReadyLine(t *testing.T) {
	u, _, dev := fakeUnit(t, "hikvision-ds2cd", clock.Real{}, func(d *consoletest.Device) {
		d.Print("U-Boot 1.3.4\r\nUBIFS (ubi0:0): recovery needed\r\nCheck dir /dav ok!\r\n")
	})
	con := u.Console.(*console.Console)
	ch := con.Transcript().Changed()
	dev.Print("Check dir /dav ok!\r\n")
	for con.Transcript().Len() < int64(len("Check dir /dav ok!\r\n")) {
		<-ch
		ch = con.Transcript().Changed()
	}
	b, err := procedure.PowerOnBoot(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Has("recovery") {
		t.Fatalf("the boot's marks %v lack the new boot's recovery marker: the wait took the stale ready line", b.Marks)
	}
}
