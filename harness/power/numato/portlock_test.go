package numato_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/rigs/virtual/pty"
	"github.com/camrig/camrig/rigs/virtual/relay"
)

const sharedBoardEnv = "CAMRIG_TEST_SHARED_BOARD"

// TestSharedBoardChild is the second process of TestBoardSharedByTwoProcesses:
// it switches its own channel many times on the board the parent serves.
func TestSharedBoardChild(t *testing.T) {
	port := os.Getenv(sharedBoardEnv)
	if port == "" {
		t.Skip("helper process for TestBoardSharedByTwoProcesses")
	}
	switchMany(t, port, 1)
}

func switchMany(t *testing.T, port string, channel int) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sw, err := power.Open(ctx, power.Config{Driver: "numato", Port: port, Channel: channel}, power.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	defer sw.(power.Closer).Close()
	for i := 0; i < 100; i++ {
		want := i%2 == 0
		if err := sw.Set(ctx, want); err != nil {
			t.Fatalf("channel %d, switching %d: %v", channel, i, err)
		}
		got, err := sw.Get(ctx)
		if err != nil || got != want {
			t.Fatalf("channel %d, read back %d: %v, %v", channel, i, got, err)
		}
	}
}

// Two processes (as under `ginkgo -p`) drive two channels of one Numato
// board on one tty at the same time: each must get its own replies.
func TestBoardSharedByTwoProcesses(t *testing.T) {
	link := filepath.Join(t.TempDir(), "numato")
	pair, err := pty.Open(link)
	if err != nil {
		t.Fatal(err)
	}
	defer pair.Close()
	board := relay.NewNumato(relay.DefaultNumatoConfig())
	srv, err := relay.Serve(pair.Master, board, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	child := exec.Command(os.Args[0], "-test.run=^TestSharedBoardChild$", "-test.count=1")
	child.Env = append(os.Environ(), fmt.Sprintf("%s=%s", sharedBoardEnv, link))
	out := make(chan []byte, 1)
	go func() {
		b, err := child.CombinedOutput()
		if err != nil {
			b = append(b, []byte("\nchild: "+err.Error())...)
			out <- b
			return
		}
		out <- nil
	}()
	switchMany(t, link, 0)
	if b := <-out; b != nil {
		t.Fatalf("second process failed:\n%s", b)
	}
}
