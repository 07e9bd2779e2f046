package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/notation"
)

// The fault matrix's "relay board silent mid-press": cam1's Numato board
// stops answering while `camrig press` holds the button. The command fails
// saying the board did not answer (it cannot release what it cannot reach:
// the relay stays on while the board is silent), and once the board
// answers again, the next camrig command on the unit releases the solenoid
// before anything else.
func TestRelayBoardSilentMidPress(t *testing.T) {
	path, sim := virtualRig(t, virtualCam1)
	board := sim.Numato(filepath.Join(os.Getenv(notation.StateDirEnv), "relay-numato"))
	if board == nil {
		t.Fatal("no virtual Numato board")
	}
	const solenoid = 1 // cam1's press channel in virtualCam1
	cam := sim.Unit("cam1")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	type result struct {
		code   int
		stderr string
	}
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := runMain([]string{"press", "--rig", path, "--unit", "cam1", "--hold", "40s"}, &out, &errb)
		done <- result{code, errb.String()}
	}()
	for !cam.Button() {
		select {
		case r := <-done:
			t.Fatalf("the press ended before the button went down: exit %d\n%s", r.code, r.stderr)
		case <-ctx.Done():
			t.Fatal("the button never went down")
		case <-time.After(time.Millisecond):
		}
	}
	board.SetSilent(true)
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the press never gave up on the silent board")
	}
	if r.code != exitFailed || !strings.Contains(r.stderr, "no answer") {
		t.Fatalf("exit %d, want %d saying the board gave no answer:\n%s", r.code, exitFailed, r.stderr)
	}
	if !board.Relay(solenoid) || !cam.Button() {
		t.Fatal("precondition: a silent board cannot have released the relay")
	}
	t.Logf("camrig press said: %s", strings.TrimSpace(r.stderr))

	board.SetSilent(false)
	wantExit(t, exitOK, "led", "--rig", path, "--unit", "cam1", "--watch", ledWatchForTakeOver)
	if board.Relay(solenoid) || cam.Button() {
		t.Fatal("the next command after the board came back left the solenoid on")
	}
}

// The fault matrix's "relay board answering garbage": the board still
// switches its relays but every byte it sends back is line noise. camrig
// press fails before energising anything: opening the unit starts by
// releasing the solenoid, the board's reply to that is garbage, and the
// error quotes what it sent. Once the board answers properly the same
// command passes.
func TestRelayBoardAnsweringGarbage(t *testing.T) {
	path, sim := virtualRig(t, virtualCam1)
	board := sim.Numato(filepath.Join(os.Getenv(notation.StateDirEnv), "relay-numato"))
	if board == nil {
		t.Fatal("no virtual Numato board")
	}
	cam := sim.Unit("cam1")
	board.SetGarbage(true)
	_, stderr := wantExit(t, exitFailed, "press", "--rig", path, "--unit", "cam1", "--hold", "5s")
	for _, want := range []string{"releasing the solenoid before use", "relay off 1", "board sent"} {
		if !strings.Contains(stderr, want) {
			t.Fatalf("the error does not say %q:\n%s", want, stderr)
		}
	}
	if board.Relay(1) || cam.Button() || len(cam.ButtonEdges()) != 0 {
		t.Fatalf("the button moved during a press against a garbling board: %+v\n%s", cam.ButtonEdges(), stderr)
	}
	t.Logf("camrig press said: %s", strings.TrimSpace(stderr))
	board.SetGarbage(false)
	wantExit(t, exitOK, "press", "--rig", path, "--unit", "cam1", "--hold", "5s")
}
