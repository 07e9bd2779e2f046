package procedure

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"slices"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/console"
	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/harness/uboot"
)

// Reflash steps, as they appear in errors, progress and the timeline.
const (
	StepCheckImage  = "check image"
	StepBootloader  = "enter bootloader"
	StepTransfer    = "transfer"
	StepVerifyRAM   = "verify in RAM"
	StepErase       = "erase flash"
	StepWrite       = "write flash"
	StepVerifyFlash = "verify flash"
	StepBoot        = "boot"
)

// ReflashOptions tune a reflash.
type ReflashOptions struct {
	// Bauds are YMODEM rates to try, fastest first. A rate the unit or the
	// adapter cannot keep up with costs one failed attempt and a power
	// cycle, then the next one is tried; the console's own rate is always
	// the last resort. Empty: the console's rate only.
	Bauds []int
	// TransferAttempts bounds load + RAM check attempts (default 3).
	TransferAttempts int
	// FlashBase is the bus address of flash offset 0 on memory-mapped
	// (cfi-nor) flash. QEMU's virt maps its NOR at 0.
	FlashBase uint64
	// VerifyAddr is the RAM the flash is read back into for SPI NOR and
	// eMMC (default: the first MiB boundary past the loaded image).
	VerifyAddr uint64
	// SHA256 (hex) is the digest the user gives for the image: required
	// for a profile whose images are raw, checked for every format.
	SHA256 string
	// Size, if non-zero, is the exact size the user expects.
	Size int64
	// Progress, when set, is told each step as it starts and the bytes of
	// the transfer as they are acknowledged.
	Progress func(ReflashProgress)
	// CommandTimeout is the base deadline of one bootloader command
	// (default uboot.DefaultCommandTimeout); flash commands add time per
	// block on top.
	CommandTimeout time.Duration
}

// ReflashProgress is one progress report.
type ReflashProgress struct {
	Step        string
	Attempt     int // transfer attempt, from 1
	Baud        int
	Sent, Total int64
}

// ReflashResult is what a reflash did.
type ReflashResult struct {
	Bytes    int
	CRC      uint32
	Baud     int // the rate the image went over
	Attempts int // transfer attempts used
	// Version is the image's firmware version (camrig) or name (uImage),
	// "" if its format carries none.
	Version string
	// Image is what the format check found.
	Image fwimage.Info
	Plan  *ReflashPlan
	Took  time.Duration
}

// ReflashError says which step failed. Err carries what the unit said.
type ReflashError struct {
	Unit string
	Step string
	Err  error
}

func (e *ReflashError) Error() string {
	return fmt.Sprintf("reflash %s: %s: %v", e.Unit, e.Step, e.Err)
}

func (e *ReflashError) Unwrap() error { return e.Err }

// Reflash writes image into the unit's firmware partition through its
// bootloader: check the image; power-cycle and stop autoboot; load it into
// RAM over YMODEM; check its CRC-32 in RAM (a failed load or check is
// retried, and nothing is erased until one passes); erase and write the
// partition; read it back and check the CRC-32 again; reset and wait for
// the unit to boot. A failure leaves the unit in its bootloader (or, if
// power was cut mid-write, with a broken image it stops in the bootloader
// on the next boot): running Reflash again completes the job.
func Reflash(ctx context.Context, u *Unit, image []byte, opts ReflashOptions) (*ReflashResult, error) {
	if err := u.needDrivers("a reflash"); err != nil {
		return nil, err
	}
	r := &reflash{u: u, log: u.log(), opts: opts, image: image, start: u.Clock.Now(), baud: u.Console.Baud()}
	if opts.TransferAttempts <= 0 {
		r.opts.TransferAttempts = 3
	}
	res, err := r.run(ctx)
	if err != nil {
		r.u.Timeline.Mark(r.u.Clock.Now(), timeline.Step, "reflash.failed", err.Error())
		r.log.Error("reflash failed", "err", err)
	}
	return res, err
}

type reflash struct {
	u     *Unit
	log   *slog.Logger
	opts  ReflashOptions
	image []byte
	start time.Time
	sess  *uboot.Session
	plan  *ReflashPlan
	baud  int // the console's own rate
}

func (r *reflash) fail(step string, err error) error {
	return &ReflashError{Unit: r.u.Name, Step: step, Err: err}
}

// step announces a step and returns a func that closes its timeline span.
func (r *reflash) step(name, detail string) func() {
	at := r.u.Clock.Now()
	r.log.Info("reflash: "+name, "detail", detail)
	if r.opts.Progress != nil {
		r.opts.Progress(ReflashProgress{Step: name, Total: int64(len(r.image))})
	}
	return func() { r.u.Timeline.Span(at, r.u.Clock.Now(), timeline.Step, "reflash."+name, detail) }
}

func (r *reflash) run(ctx context.Context) (*ReflashResult, error) {
	p := r.u.Profile
	done := r.step(StepCheckImage, fmt.Sprintf("%d bytes", len(r.image)))
	plan, err := PrepareReflash(p, r.image, r.opts)
	if err != nil {
		return nil, r.fail(StepCheckImage, err)
	}
	r.plan = plan
	res := &ReflashResult{Bytes: len(r.image), CRC: crc32.ChecksumIEEE(r.image), Plan: plan, Image: plan.Image, Version: plan.Image.Version}
	done()
	r.sess = uboot.New(r.u.Console, p.Bootloader, uboot.WithClock(r.u.Clock), uboot.WithScale(r.u.Scale),
		uboot.WithTimeline(r.u.Timeline), uboot.WithLogger(r.log), uboot.WithPassword(r.u.BootloaderPassword))
	if r.opts.CommandTimeout > 0 {
		uboot.WithCommandTimeout(r.opts.CommandTimeout)(r.sess)
	}

	if err := r.enterBootloader(ctx); err != nil {
		return nil, err
	}
	if err := r.load(ctx, res); err != nil {
		return nil, err
	}
	if err := r.write(ctx); err != nil {
		return nil, err
	}
	if err := r.verifyFlash(ctx, res.CRC); err != nil {
		return nil, err
	}
	if err := r.boot(ctx); err != nil {
		return nil, err
	}
	res.Took = r.u.Clock.Now().Sub(r.start)
	r.u.Timeline.Mark(r.u.Clock.Now(), timeline.Flash, "reflashed",
		fmt.Sprintf("%d bytes crc32 %08x into %s at %#x", res.Bytes, res.CRC, plan.Partition.Name, plan.FlashAddr))
	return res, nil
}

// enterBootloader power-cycles the unit and stops its autoboot.
func (r *reflash) enterBootloader(ctx context.Context) error {
	p := r.u.Profile
	done := r.step(StepBootloader, r.u.Power.String())
	defer done()
	if err := power.SetRecorded(ctx, r.u.Power, false, r.u.Clock, r.u.Timeline); err != nil {
		return r.fail(StepBootloader, err)
	}
	if err := clock.Wait(ctx, r.u.Clock, r.u.Scale.Of(p.Boot.OffTime)); err != nil {
		return r.fail(StepBootloader, fmt.Errorf("interrupted while powered off: %w", err))
	}
	// A unit comes up at its console's configured rate, and whatever it
	// said before the cycle must not be taken for its new prompt.
	if r.baud > 0 && r.u.Console.Baud() != r.baud {
		if err := r.u.Console.SetBaud(r.baud); err != nil {
			return r.fail(StepBootloader, err)
		}
	}
	r.u.Console.Skip()
	if err := power.SetRecorded(ctx, r.u.Power, true, r.u.Clock, r.u.Timeline); err != nil {
		return r.fail(StepBootloader, err)
	}
	bctx, cancel := clock.WithTimeout(ctx, r.u.Clock, r.u.Scale.Of(p.Boot.Deadline), "the bootloader prompt after power-on")
	defer cancel()
	if err := r.sess.Interrupt(bctx); err != nil {
		return r.fail(StepBootloader, err)
	}
	return nil
}

// bauds is the order rates are tried in: the requested ones fastest
// first, then the console's own.
func (r *reflash) bauds() []int {
	cur := r.baud
	var out []int
	for _, b := range r.opts.Bauds {
		if b > 0 && b != cur && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return b - a })
	return append(out, 0) // 0: stay at the console's rate
}

// load transfers the image and checks it in RAM, retrying the transfer
// (never anything on flash) until a RAM check passes.
func (r *reflash) load(ctx context.Context, res *ReflashResult) error {
	rates := r.bauds()
	ri := 0
	var lastStep string
	var lastErr error
	for attempt := 1; attempt <= r.opts.TransferAttempts; attempt++ {
		rate := rates[ri]
		shown := rate
		if shown == 0 {
			shown = r.baud
		}
		res.Attempts, res.Baud = attempt, shown
		done := r.step(StepTransfer, fmt.Sprintf("attempt %d at %d bps", attempt, shown))
		_, err := r.sess.LoadY(ctx, r.plan.LoadAddr, rate, r.image, func(sent, total int64) {
			if r.opts.Progress != nil {
				r.opts.Progress(ReflashProgress{Step: StepTransfer, Attempt: attempt, Baud: shown, Sent: sent, Total: total})
			}
		})
		done()
		if err != nil {
			lastStep, lastErr = StepTransfer, err
			if ctx.Err() != nil {
				break
			}
			if ri < len(rates)-1 {
				ri++ // a faster rate failed: fall back
			}
			// The bootloader's state is unknown (mid-transfer, or waiting
			// at another rate): start it over. Nothing has been erased.
			if err := r.enterBootloader(ctx); err != nil {
				return err
			}
			continue
		}
		done = r.step(StepVerifyRAM, fmt.Sprintf("crc32 %08x", res.CRC))
		sum, err := r.sess.CRC32(ctx, r.plan.LoadAddr, r.plan.Size)
		done()
		switch {
		case err != nil:
			lastStep, lastErr = StepVerifyRAM, err
			if ctx.Err() != nil {
				return r.fail(lastStep, lastErr)
			}
			if err := r.enterBootloader(ctx); err != nil {
				return err
			}
		case sum != res.CRC:
			lastStep, lastErr = StepVerifyRAM, fmt.Errorf("the unit computed crc32 %08x over the loaded image; the image's is %08x", sum, res.CRC)
			r.log.Warn("reflash: RAM check failed; loading again", "attempt", attempt, "err", lastErr)
		default:
			return nil
		}
	}
	return r.fail(lastStep, fmt.Errorf("gave up after %d attempts (flash untouched): %w", res.Attempts, lastErr))
}

// write erases the partition's blocks and programs the image.
func (r *reflash) write(ctx context.Context) error {
	pl := r.plan
	switch pl.Kind {
	case "spi-nor":
		done := r.step(StepErase, fmt.Sprintf("sf %#x +%#x", pl.FlashAddr, pl.EraseLen))
		info, err := r.sess.SFProbe(ctx)
		if err == nil && info.Total < uint64(pl.Partition.Offset+pl.Partition.Size) {
			err = fmt.Errorf("the bootloader detected a %d-byte %s; partition %q ends at %#x", info.Total, info.Chip, pl.Partition.Name, uint64(pl.Partition.Offset+pl.Partition.Size))
		}
		if err == nil {
			err = r.sess.SFErase(ctx, pl.FlashAddr, pl.EraseLen)
		}
		done()
		if err != nil {
			return r.fail(StepErase, err)
		}
		done = r.step(StepWrite, fmt.Sprintf("sf %#x <- %#x, %d bytes", pl.FlashAddr, pl.LoadAddr, pl.Size))
		err = r.sess.SFWrite(ctx, pl.LoadAddr, pl.FlashAddr, pl.Size)
		done()
		if err != nil {
			return r.fail(StepWrite, err)
		}
	case "cfi-nor":
		done := r.step(StepErase, fmt.Sprintf("%#x +%#x", pl.FlashAddr, pl.EraseLen))
		_, err := r.sess.FlashProtect(ctx, false, pl.FlashAddr, pl.EraseLen)
		if err == nil {
			_, err = r.sess.FlashErase(ctx, pl.FlashAddr, pl.EraseLen)
		}
		done()
		if err != nil {
			return r.fail(StepErase, err)
		}
		done = r.step(StepWrite, fmt.Sprintf("%#x <- %#x, %d bytes", pl.FlashAddr, pl.LoadAddr, pl.Size))
		if r.u.Profile.Flash.Program == "words" {
			err = r.sess.ProgramWords(ctx, pl.LoadAddr, pl.FlashAddr, pl.Size)
		} else {
			err = r.sess.CopyToFlash(ctx, pl.LoadAddr, pl.FlashAddr, pl.Size)
		}
		done()
		if err != nil {
			return r.fail(StepWrite, err)
		}
	case "spi-nand", "nand":
		byName := "" // erase by offsets
		if r.u.Profile.Flash.ErasePart {
			byName = pl.Partition.Name
		}
		done := r.step(StepErase, pl.Commands[0])
		_, err := r.sess.NANDErase(ctx, byName, pl.FlashAddr, pl.EraseLen)
		done()
		if err != nil {
			return r.fail(StepErase, err)
		}
		done = r.step(StepWrite, fmt.Sprintf("nand %s <- %#x, %d bytes", pl.NANDTarget, pl.LoadAddr, pl.Size))
		op, err := r.sess.NANDWrite(ctx, pl.LoadAddr, pl.NANDTarget, pl.Size)
		done()
		if len(op.Skipped) > 0 {
			r.log.Info("reflash: the bootloader skipped bad blocks", "blocks", op.Skipped)
		}
		if err != nil {
			return r.fail(StepWrite, err)
		}
	case "mmc":
		done := r.step(StepWrite, fmt.Sprintf("mmc block %d <- %#x, %d bytes", pl.FlashAddr, pl.LoadAddr, pl.Size))
		err := r.sess.MMCWrite(ctx, pl.LoadAddr, pl.FlashAddr, (pl.Size+mmcBlock-1)/mmcBlock)
		done()
		if err != nil {
			return r.fail(StepWrite, err)
		}
	}
	r.u.Timeline.Mark(r.u.Clock.Now(), timeline.Flash, "written", fmt.Sprintf("%s %#x, %d bytes", pl.Partition.Name, pl.FlashAddr, pl.Size))
	return nil
}

// verifyFlash reads the partition back and checks its CRC-32.
func (r *reflash) verifyFlash(ctx context.Context, want uint32) error {
	pl := r.plan
	done := r.step(StepVerifyFlash, fmt.Sprintf("crc32 %08x", want))
	defer done()
	at := pl.VerifyAddr
	var err error
	switch pl.Kind {
	case "spi-nor":
		err = r.sess.SFRead(ctx, at, pl.FlashAddr, pl.Size)
	case "mmc":
		err = r.sess.MMCRead(ctx, at, pl.FlashAddr, (pl.Size+mmcBlock-1)/mmcBlock)
	case "spi-nand", "nand":
		_, err = r.sess.NANDRead(ctx, at, pl.NANDTarget, pl.Size)
	case "cfi-nor":
		at = pl.FlashAddr // memory mapped: read in place
	}
	if err != nil {
		return r.fail(StepVerifyFlash, err)
	}
	sum, err := r.sess.CRC32(ctx, at, pl.Size)
	if err != nil {
		return r.fail(StepVerifyFlash, err)
	}
	if sum == want {
		return nil
	}
	err = fmt.Errorf("flash reads back with crc32 %08x; the image's is %08x", sum, want)
	if pl.Kind == "cfi-nor" {
		// The loaded copy is still in RAM: let the bootloader name the
		// first byte that did not stick.
		if cerr := r.sess.CompareBytes(ctx, pl.LoadAddr, pl.FlashAddr, pl.Size); cerr != nil {
			err = fmt.Errorf("%w; %v", err, cerr)
		}
	}
	return r.fail(StepVerifyFlash, err)
}

// boot resets the unit and waits, without interrupting, for its ready
// marker. Stopping at the bootloader prompt instead means the new image
// did not boot.
func (r *reflash) boot(ctx context.Context) error {
	p := r.u.Profile
	done := r.step(StepBoot, p.Boot.ReadyMarker)
	defer done()
	if err := r.sess.Reset(ctx); err != nil {
		return r.fail(StepBoot, err)
	}
	bctx, cancel := clock.WithTimeout(ctx, r.u.Clock, r.u.Scale.Of(p.Boot.Deadline), fmt.Sprintf("boot-ready marker %q", p.Boot.ReadyMarker))
	defer cancel()
	m, err := r.u.Console.Expect(bctx, console.Lit(p.Boot.ReadyMarker), console.Lit(p.Bootloader.Prompt))
	if err != nil {
		return r.fail(StepBoot, err)
	}
	if m.Index == 1 {
		return r.fail(StepBoot, errors.New("the unit stopped at its bootloader prompt instead of booting; it said: "+uboot.Said(m.Before)))
	}
	return nil
}
