package plugsim_test

// The harness's own power backends (harness/power tasmota and shelly)
// against the virtual plugs: the two sides were written separately, each
// from the device's documentation, so agreement here is evidence.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	powerplug "github.com/camrig/camrig/harness/power/plug"
	"github.com/camrig/camrig/rigs/virtual/plugsim"
)

// wiring is what the rig connects a plug relay to: here, a channel of
// edges a test can wait on.
type wiring struct {
	edges chan string
}

func newWiring() *wiring { return &wiring{edges: make(chan string, 64)} }

func (w *wiring) onChange(relay int, on bool) {
	w.edges <- fmt.Sprintf("%d:%s", relay, power.State(on))
}

// expect waits for the next edge, failing after a generous deadline (the
// plugs' timers are hundreds of milliseconds).
func (w *wiring) expect(t *testing.T, want string) {
	t.Helper()
	timer := time.NewTimer(10 * time.Second)
	defer timer.Stop()
	select {
	case got := <-w.edges:
		if got != want {
			t.Fatalf("edge %s, want %s", got, want)
		}
	case <-timer.C:
		t.Fatalf("no edge within 10s, want %s", want)
	}
}

func (w *wiring) none(t *testing.T) {
	t.Helper()
	select {
	case got := <-w.edges:
		t.Fatalf("unexpected edge %s", got)
	default:
	}
}

func passwordFile(t *testing.T, pw string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte(pw+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func openSwitch(t *testing.T, cfg power.Config) power.Switch {
	t.Helper()
	sw, err := power.Open(context.Background(), cfg, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sw.(power.Closer).Close() })
	return sw
}

func TestTasmotaBackendDrivesVirtualPlug(t *testing.T) {
	t.Parallel()
	w := newWiring()
	plug, err := plugsim.StartTasmota(plugsim.TasmotaConfig{Relays: 2, Password: "tasm0ta pw", OnChange: w.onChange})
	if err != nil {
		t.Fatal(err)
	}
	defer plug.Close()
	sw := openSwitch(t, power.Config{Driver: "tasmota", URL: plug.URL(), Channel: 2, PasswordFile: passwordFile(t, "tasm0ta pw")})
	ctx := context.Background()

	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "2:on")
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "2:off")

	// A pulse the plug ends by itself, then a plain ON that must stay on.
	start := time.Now()
	if err := sw.(power.Pulser).Pulse(ctx, true, 300*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if plug.PulseTime(2) != 3 {
		t.Fatalf("PulseTime2 = %d, want 3", plug.PulseTime(2))
	}
	w.expect(t, "2:on")
	w.expect(t, "2:off")
	if held := time.Since(start); held < 300*time.Millisecond {
		t.Fatalf("plug released after %v, before the 300ms pulse", held)
	}
	if ev := plug.Events(); ev[len(ev)-1].Cause != "timer" {
		t.Fatalf("last edge %+v was not the plug's timer", ev[len(ev)-1])
	}
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "2:on")
	if plug.PulseTime(2) != 0 {
		t.Fatalf("a plain ON left PulseTime2 = %d armed", plug.PulseTime(2))
	}
	if !plug.State(2) || plug.State(1) {
		t.Fatalf("relays: 1=%v 2=%v", plug.State(1), plug.State(2))
	}
}

func TestShellyBackendDrivesVirtualPlug(t *testing.T) {
	t.Parallel()
	w := newWiring()
	plug, err := plugsim.StartShelly(plugsim.ShellyConfig{Switches: 2, Password: "sh3lly", OnChange: w.onChange})
	if err != nil {
		t.Fatal(err)
	}
	defer plug.Close()
	sw := openSwitch(t, power.Config{Driver: "shelly", URL: plug.URL(), Channel: 1, PasswordFile: passwordFile(t, "sh3lly")})
	if g := sw.(*powerplug.Shelly).Generation(); g != 2 {
		t.Fatalf("generation %d", g)
	}
	ctx := context.Background()
	if err := sw.Set(ctx, true); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "1:on")
	if on, err := sw.Get(ctx); err != nil || !on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	// Pulse off: the plug turns the output back on by itself.
	if err := sw.(power.Pulser).Pulse(ctx, false, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "1:off")
	w.expect(t, "1:on")
	// Pulse on, released early by the harness: the flip-back is cancelled.
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "1:off")
	if err := sw.(power.Pulser).Pulse(ctx, true, 150*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "1:on")
	if err := sw.Set(ctx, false); err != nil {
		t.Fatal(err)
	}
	w.expect(t, "1:off")
	if on, err := sw.Get(ctx); err != nil || on {
		t.Fatalf("Get = %v, %v", on, err)
	}
	ev := plug.Events()
	if last := ev[len(ev)-1]; last.Cause != "http" {
		t.Fatalf("last edge %+v", last)
	}
}

func TestWrongPasswordsAgainstVirtualPlugs(t *testing.T) {
	t.Parallel()
	tas, err := plugsim.StartTasmota(plugsim.TasmotaConfig{Password: "right-one"})
	if err != nil {
		t.Fatal(err)
	}
	defer tas.Close()
	she, err := plugsim.StartShelly(plugsim.ShellyConfig{Password: "right-one"})
	if err != nil {
		t.Fatal(err)
	}
	defer she.Close()
	pw := passwordFile(t, "guessed-wrong")
	for _, cfg := range []power.Config{
		{Driver: "tasmota", URL: tas.URL(), Channel: 1, PasswordFile: pw},
		{Driver: "shelly", URL: she.URL(), Channel: 0, PasswordFile: pw},
	} {
		sw := openSwitch(t, cfg)
		err := sw.Set(context.Background(), true)
		if err == nil || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), sw.String()) {
			t.Errorf("%s: err = %v", cfg.Driver, err)
			continue
		}
		if strings.Contains(err.Error(), "guessed-wrong") {
			t.Errorf("%s: error leaks the password: %v", cfg.Driver, err)
		}
	}
	if tas.State(1) || she.State(0) {
		t.Fatal("a refused command switched a relay")
	}
}

// The killed-client test runs the backend in a child process (this test
// binary again) that arms a pulse and is then SIGKILLed: only the plug's own
// timer can release the line.

const helperEnv = "CAMRIG_PLUGSIM_PULSE_HELPER"

// TestHelperPulseThenHang is the child: it is skipped unless started by
// pulseInKilledChild.
func TestHelperPulseThenHang(t *testing.T) {
	spec := os.Getenv(helperEnv)
	if spec == "" {
		t.Skip("helper process for the killed-client tests")
	}
	var cfg power.Config
	var hold time.Duration
	fields := strings.Split(spec, "|")
	cfg.Driver, cfg.URL, cfg.PasswordFile = fields[0], fields[1], fields[2]
	fmt.Sscan(fields[3], &cfg.Channel)
	hold, _ = time.ParseDuration(fields[4])
	sw, err := power.Open(context.Background(), cfg, power.Deps{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if err := sw.(power.Pulser).Pulse(context.Background(), true, hold); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("armed")
	// Hang like a wedged harness, until killed (or the parent goes away).
	bufio.NewReader(os.Stdin).ReadString('\n')
	os.Exit(3)
}

func pulseInKilledChild(t *testing.T, cfg power.Config, hold time.Duration) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperPulseThenHang$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+strings.Join([]string{cfg.Driver, cfg.URL, cfg.PasswordFile, fmt.Sprint(cfg.Channel), hold.String()}, "|"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if txt := s.Text(); txt == "armed" || strings.HasPrefix(txt, "error:") {
				line <- txt
				break
			}
		}
		close(line)
	}()
	select {
	case l := <-line:
		if l != "armed" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child did not arm the pulse: %q", l)
		}
	case <-ctx.Done():
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child never armed the pulse")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup can run
		t.Fatal(err)
	}
	killed := time.Now()
	cmd.Wait()
	return killed
}

func TestKilledClientReleasedByPlugTimer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const hold = time.Second // long enough that the kill lands before it
	for _, kind := range []string{"tasmota", "shelly"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWiring()
			var url string
			var events func() []plugsim.Event
			switch kind {
			case "tasmota":
				p, err := plugsim.StartTasmota(plugsim.TasmotaConfig{Password: "pw-1", OnChange: w.onChange})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				url, events = p.URL(), p.Events
			case "shelly":
				p, err := plugsim.StartShelly(plugsim.ShellyConfig{Password: "pw-1", OnChange: w.onChange})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				url, events = p.URL(), p.Events
			}
			killed := pulseInKilledChild(t, power.Config{Driver: kind, URL: url, PasswordFile: passwordFile(t, "pw-1")}, hold)
			first := map[string]int{"tasmota": 1, "shelly": 0}[kind]
			w.expect(t, fmt.Sprintf("%d:on", first))
			w.expect(t, fmt.Sprintf("%d:off", first))
			w.none(t)
			ev := events()
			if len(ev) != 2 || ev[1].Cause != "timer" {
				t.Fatalf("events %+v, want an ON by http and an OFF by the plug's timer", ev)
			}
			if held := ev[1].At.Sub(ev[0].At); held < hold {
				t.Errorf("plug held %v, less than the armed %v", held, hold)
			}
			if !ev[1].At.After(killed) {
				t.Errorf("released at %v, before the client was killed at %v: the test proved nothing", ev[1].At, killed)
			}
		})
	}
}

// Round-trip cost of one acknowledged switching on loopback: what a press
// adds to its edges. Shelly reuses its Digest nonce, so it is one request.
func BenchmarkSetAgainstVirtualPlugs(b *testing.B) {
	tas, err := plugsim.StartTasmota(plugsim.TasmotaConfig{Password: "pw-b"})
	if err != nil {
		b.Fatal(err)
	}
	defer tas.Close()
	she, err := plugsim.StartShelly(plugsim.ShellyConfig{Password: "pw-b"})
	if err != nil {
		b.Fatal(err)
	}
	defer she.Close()
	pw := filepath.Join(b.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("pw-b"), 0o600); err != nil {
		b.Fatal(err)
	}
	for _, cfg := range []power.Config{
		{Driver: "tasmota", URL: tas.URL(), PasswordFile: pw},
		{Driver: "shelly", URL: she.URL(), PasswordFile: pw},
	} {
		b.Run(cfg.Driver, func(b *testing.B) {
			sw, err := power.Open(context.Background(), cfg, power.Deps{})
			if err != nil {
				b.Fatal(err)
			}
			defer sw.(power.Closer).Close()
			ctx := context.Background()
			if err := sw.Set(ctx, false); err != nil { // warm: connection, nonce
				b.Fatal(err)
			}
			on := false
			for b.Loop() {
				on = !on
				if err := sw.Set(ctx, on); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
