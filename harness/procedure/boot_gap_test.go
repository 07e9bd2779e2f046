package procedure_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/notation"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/rigs/virtual"
)

// unpluggingRig starts a virtual rig of one blink unit whose console
// adapter is pulled after into its first boot for gap (device time), and
// returns the harness's view of the unit.
func unpluggingRig(t *testing.T, after, gap string) *procedure.Unit {
	t.Helper()
	state := t.TempDir()
	t.Setenv(notation.StateDirEnv, state)
	profiles, err := filepath.Abs(filepath.Join("..", "..", "fixtures", "profiles"))
	if err != nil {
		t.Fatal(err)
	}
	sim := "  units: {cam1: {uart_unplug_during_boot: {after: " + after + ", for: " + gap + "}}}\n"
	return blinkUnit(t, "unplugging", profiles, state, sim, rig.WithTranscriptDir(t.TempDir()))
}

// blinkUnit starts a virtual rig named name of one blink unit, cam1, on
// the profiles in the directory profiles and the state directory state,
// with simExtra added to its sim: section, and returns the harness's view
// of the unit, opened with opts.
func blinkUnit(t *testing.T, name, profiles, state, simExtra string, opts ...rig.OpenOption) *procedure.Unit {
	t.Helper()
	dir := t.TempDir()
	rigPath := filepath.Join(dir, "rig.yaml")
	if err := os.WriteFile(rigPath, []byte("rig: "+name+"\nvirtual: true\ntimescale: 0.01\nprofiles: "+profiles+
		"\nlock_dir: "+filepath.Join(dir, "locks")+"\nsim:\n  numato: {prompt: \">\", echo: true}\n"+simExtra+"units:\n"+
		"  - name: cam1\n    profile: blink\n    console: {port: \"${state_dir}/cam1.uart\", baud: 115200}\n"+
		"    power:   {driver: numato, port: \"${state_dir}/relay-numato\", channel: 0}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sim, err := virtual.Start(ctx, rigPath, virtual.WithStateDir(state))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	r, err := rig.Load(rigPath)
	if err != nil {
		t.Fatal(err)
	}
	u, err := r.Open(ctx, "cam1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { u.Close(context.Background()) })
	return &procedure.Unit{Name: u.Name, Profile: u.Profile, Clock: u.Clock, Scale: u.Scale,
		Timeline: u.Timeline, Log: u.Log, Power: u.Power, Console: u.Console}
}

// TestBootThroughAConsoleUnplugCannotBeJudged: the console's adapter is
// pulled 3s into the boot and plugged in again 2s later. The wait rides through the gap and sees the ready
// marker, but the boot is reported unjudgeable, naming the gap: a factory
// marker in it would have gone unseen.
func TestBootThroughAConsoleUnplugCannotBeJudged(t *testing.T) {
	u := unpluggingRig(t, "3s", "2s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := procedure.ColdBoot(ctx, u)
	var ge *procedure.ConsoleGapError
	if !errors.As(err, &ge) || !errors.Is(err, procedure.ErrConsoleGap) {
		t.Fatalf("err = %v, want a ConsoleGapError", err)
	}
	if !ge.Ready || ge.ReadyAfter <= 0 || len(ge.Gaps) != 1 || ge.Gaps[0].Up.IsZero() || !ge.Gaps[0].Up.After(ge.Gaps[0].Down) {
		t.Fatalf("gap error %+v: want the ready marker after one closed gap", *ge)
	}
	for _, want := range []string{"cam1's boot cannot be judged: its console ", "cam1.uart was disconnected from ",
		"what the unit said meanwhile is lost", "the boot-ready marker came after it"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	text := u.Console.(*console.Console).Transcript().String()
	gapAt := strings.Index(text, "[camrig: console disconnected ")
	if gapAt < 0 || !strings.Contains(text[gapAt:], ", reopened ") || !strings.Contains(text[gapAt:], "blink: app ready") {
		t.Fatalf("the transcript does not show the gap with the boot carrying on after it:\n%s", text)
	}
}

// TestBootWhoseConsoleNeverReturns: the adapter stays away past the boot
// deadline. The boot is unjudgeable (the unit may have booted), not "did
// not boot", and the error says the console did not come back.
func TestBootWhoseConsoleNeverReturns(t *testing.T) {
	u := unpluggingRig(t, "3s", "10m")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := procedure.ColdBoot(ctx, u)
	var ge *procedure.ConsoleGapError
	if !errors.As(err, &ge) || ge.Ready || ge.Err == nil || len(ge.Gaps) != 1 || !ge.Gaps[0].Up.IsZero() {
		t.Fatalf("err = %v, want a ConsoleGapError with the console still away", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "and did not come back") || !strings.Contains(msg, "no boot-ready marker after it: ") || strings.Contains(msg, "did not boot") {
		t.Fatalf("err = %v", err)
	}
}
