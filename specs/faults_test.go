package specs_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/rig"
	"github.com/camrig/camrig/harness/timeline"
)

// faultChildEnv makes this test binary a harness process that presses a
// unit's button and never lets go ("<rig file>\n<unit>"), for the faults
// suite to kill.
const faultChildEnv = "CAMRIG_SPECS_FAULT_CHILD"

func init() {
	if arg := os.Getenv(faultChildEnv); arg != "" {
		os.Exit(pressForever(arg))
	}
}

// pressForever leases the unit, presses its button, says "pressing" once
// the board acknowledged the press, and holds until it is killed.
func pressForever(arg string) int {
	rigFile, unit, _ := strings.Cut(arg, "\n")
	r, err := rig.Load(rigFile)
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	ctx := context.Background()
	u, err := r.Open(ctx, unit, rig.Only(rig.PartPress), rig.KeepPower())
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	_, err = u.Press.PressUntil(ctx, u.Press.MaxHold(), func(ctx context.Context) error {
		fmt.Println("pressing")
		<-ctx.Done() // the holder dies here
		return ctx.Err()
	})
	fmt.Println("error:", err)
	return 1
}

// faultSpecs are what a unit must survive that is not its own doing.
func faultSpecs(t *target) {
	if t.cfg.Press == nil || t.cfg.Power == nil {
		return
	}
	It("is made safe by the next run after the harness is killed mid-press", Label("faults"), SpecTimeout(budget(t, 1)), func(ctx SpecContext) {
		// The binding as the run loaded it (the run's own copy of the
		// rig file, on its own state dir), not as the tree was built.
		cfg, _ := theRig.Unit(t.name)
		// Off first: a button held on an unpowered unit counts for nothing,
		// so the fault changes only what it is about.
		Expect(power.SetRecorded(ctx, t.Power, false, t.Clock, t.Timeline)).To(Succeed())
		// The child needs the lease this container holds.
		Expect(t.Unit.Close(ctx)).To(Succeed(), "handing unit %s to the killed run", t.name)
		child := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		child.Env = append(os.Environ(), faultChildEnv+"="+theRig.File+"\n"+t.name)
		out, err := child.StdoutPipe()
		Expect(err).NotTo(HaveOccurred())
		Expect(child.Start()).To(Succeed())
		line, _ := bufio.NewReader(out).ReadString('\n')
		Expect(strings.TrimSpace(line)).To(Equal("pressing"), "the harness process pressing %s", t.name)
		Expect(child.Process.Signal(syscall.SIGKILL)).To(Succeed())
		child.Wait()
		pid := child.Process.Pid
		Expect(pressed(ctx, cfg)).To(BeTrue(), "the relay stays on after its holder was killed (the fault this spec is about)")

		u, err := theRig.Open(ctx, t.name, rig.WithTranscriptDir(filepath.Join(outDir(), "spill")))
		Expect(err).NotTo(HaveOccurred(), "the next run opening %s", t.name)
		t.Unit = u
		Expect(pressed(ctx, cfg)).To(BeFalse(), "the solenoid is released before anything else")
		var took []timeline.Event
		for _, e := range u.Timeline.Events() {
			if e.Kind == "take-over" {
				took = append(took, e)
			}
		}
		Expect(took).To(HaveLen(1), "the take-over is on the timeline")
		Expect(took[0].Attrs).To(HaveKeyWithValue("previous_pid", strconv.Itoa(pid)), "naming the killed run")
		on, err := u.Power.Get(ctx)
		Expect(err).NotTo(HaveOccurred())
		Expect(on).To(Equal(cfg.Power.SafeOn), "power in its safe state")
	})
}

// pressed reads the unit's press relay back from its board through the
// bench driver, as a run that has not opened the unit can.
func pressed(ctx context.Context, cfg rig.UnitConfig) bool {
	sw, err := power.Open(ctx, *cfg.Press, power.Deps{Clock: theRig.Clock})
	Expect(err).NotTo(HaveOccurred(), "opening %s's press binding to read it back", cfg.Name)
	defer func() {
		if c, ok := sw.(power.Closer); ok {
			c.Close()
		}
	}()
	on, err := sw.Get(ctx)
	Expect(err).NotTo(HaveOccurred(), "reading %s's press relay back", cfg.Name)
	return on
}
