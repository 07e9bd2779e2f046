package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/camrig/camrig/harness/bench"
	"github.com/camrig/camrig/harness/internal/inputfile"
	"github.com/camrig/camrig/harness/procedure"
	"github.com/camrig/camrig/harness/rig"
)

func init() {
	register(command{name: "reflash", summary: "write a firmware image through the unit's bootloader (YMODEM)", run: runReflash})
}

const reflashAbout = `Reflashes one unit over its console: power-cycles it into the bootloader,
loads the image into RAM over YMODEM, checks its CRC-32 there, erases and
writes the profile's firmware partition, reads it back and checks the CRC-32
again, then resets the unit and waits for it to boot. An image larger than
the partition, in another format than the profile's flash.image.format,
built for another model or architecture, or failing its CRCs (or, for a
raw image, its --sha256) is refused before the unit's power is touched. A
failed transfer is retried (the flash is only erased once an image is in
RAM intact); a failed run leaves the unit in its bootloader and running the
command again completes the job. A successful one leaves the unit booted
and powered. --dry-run runs every check and prints what it would write
where; it touches nothing and fails as the real run would.`

// openReflashTarget leases the unit and opens its drivers for a reflash,
// logging to log; closing releases the lease and leaves the unit safe, or,
// when leavePowered (the reflash succeeded), powered and running. Tests
// replace it.
var openReflashTarget = func(ctx context.Context, rigPath, unit string, log *slog.Logger) (*procedure.Unit, func(leavePowered bool), error) {
	r, err := rig.Load(rigPath)
	if err != nil {
		return nil, nil, err
	}
	u, err := r.Open(ctx, unit, rig.WithLogger(log))
	if err != nil {
		return nil, nil, err
	}
	closeFn := func(leavePowered bool) {
		if leavePowered {
			u.LeavePowered()
		}
		u.Close(context.Background())
	}
	return bench.Procedure(u), closeFn, nil
}

// maxImage bounds an image for a profile that does not give its flash size.
const maxImage = 256 << 20

func runReflash(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("reflash --rig R --unit U --image F [--sha256 HEX] [--size N] [--baud B] [--dry-run]", reflashAbout, stderr).withRig().withUnit()
	imagePath := f.String("image", "", "firmware image file (required)")
	baud := f.Int("baud", 0, "load the image at this rate (loady's baud switch), falling back to the console's rate if the unit cannot")
	dryRun := f.Bool("dry-run", false, "run every check of the real run and print what would be written where; touch nothing")
	sha := f.String("sha256", "", "the image's SHA-256 (hex): required for a raw-format profile, checked for any")
	size := f.Int64("size", 0, "the image's exact size in bytes, checked if given")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		return f.usageErr("unexpected argument %q", pos[0])
	}
	if *imagePath == "" {
		return f.usageErr("--image is required")
	}
	if *baud < 0 {
		return f.usageErr("--baud %d must be positive", *baud)
	}
	r, name, code := f.rigAndUnit()
	if code != exitOK {
		return code
	}
	prof := r.Profile(name)
	// No image is larger than the unit's flash: reading stops there (and a
	// FIFO or device given as --image is refused before it is read).
	limit := int64(maxImage)
	if prof.Flash.Size > 0 {
		limit = int64(prof.Flash.Size)
	}
	image, err := inputfile.Read(*imagePath, limit)
	if err != nil {
		fmt.Fprintf(stderr, "camrig reflash: image %v\n", err)
		return exitFailed
	}
	opts := procedure.ReflashOptions{SHA256: *sha, Size: *size}
	if *baud > 0 {
		opts.Bauds = []int{*baud}
	}
	// Every check runs here, before the unit is opened: a refused image
	// leaves its power exactly as it was.
	plan, err := procedure.PrepareReflash(prof, image, opts)
	if err != nil {
		fmt.Fprintf(stderr, "camrig reflash: refusing %s for unit %s: %v\n", *imagePath, name, err)
		return exitFailed
	}
	if *dryRun {
		printPlan(stdout, name, prof.Model, *imagePath, plan)
		return exitOK
	}

	target, closeFn, err := openReflashTarget(ctx, f.rigPath, name, f.logger())
	if err != nil {
		return f.failure(err)
	}
	succeeded := false
	defer func() { closeFn(succeeded) }()
	bar := newProgressBar(stdout, target.Clock.Now)
	opts.Progress = bar.update
	res, err := procedure.Reflash(ctx, target, image, opts)
	bar.finish()
	if err != nil {
		// The error names the step and quotes the unit.
		fmt.Fprintf(stderr, "camrig reflash: %v\n", err)
		return exitFailed
	}
	succeeded = true
	version := res.Version
	if version == "" {
		version = "unknown (the image carries no version header)"
	}
	fmt.Fprintf(stdout, "reflashed %s: %d bytes, crc32 %08x, into %q at %#x; %d bps, %d transfer attempt(s), took %v; firmware version %s\n",
		name, res.Bytes, res.CRC, res.Plan.Partition.Name, res.Plan.FlashAddr, res.Baud, res.Attempts, res.Took.Round(time.Millisecond), version)
	return exitOK
}

func printPlan(w io.Writer, unit, model, image string, pl *procedure.ReflashPlan) {
	fmt.Fprintf(w, "dry run: %s (%d bytes) -> unit %s (%s), %s partition %q at %#x (%d of %d bytes)\n",
		image, pl.Size, unit, model, pl.Kind, pl.Partition.Name, pl.FlashAddr, pl.Size, uint64(pl.Partition.Size))
	fmt.Fprintf(w, "  image checked: %s\n", pl.Image.Describe)
	fmt.Fprintf(w, "  power-cycle, stop autoboot, loady %#x (YMODEM), crc32 %#x %#x\n", pl.LoadAddr, pl.LoadAddr, pl.Size)
	for _, c := range pl.Commands {
		fmt.Fprintf(w, "  %s\n", c)
	}
	fmt.Fprintln(w, "  reset, wait for the boot-ready marker")
}

// progressBar shows a transfer: a redrawn bar on a terminal, a line every
// 10% otherwise (CI logs, pipes).
type progressBar struct {
	w        io.Writer
	tty      bool
	now      func() time.Time
	step     string
	started  time.Time
	attempt  int
	lastTick int64 // last 10% mark printed (plain mode)
	drawn    bool
}

func newProgressBar(w io.Writer, now func() time.Time) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w), now: now}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), getTermios)
	return err == nil
}

func (b *progressBar) update(p procedure.ReflashProgress) {
	if p.Step != procedure.StepTransfer || p.Attempt == 0 {
		if p.Step != b.step {
			b.endLine()
			fmt.Fprintf(b.w, "%s...\n", p.Step)
			b.step = p.Step
		}
		return
	}
	if p.Attempt != b.attempt {
		b.endLine()
		b.attempt, b.started, b.lastTick, b.step = p.Attempt, b.now(), -1, p.Step
	}
	line := b.render(p)
	if b.tty {
		fmt.Fprintf(b.w, "\r%s", line)
		b.drawn = true
		return
	}
	if tick := p.Sent * 10 / max(p.Total, 1); tick != b.lastTick {
		b.lastTick = tick
		fmt.Fprintln(b.w, line)
	}
}

// render is "transfer [=====>    ]  45% 20.0/44.0 KiB 11.2 KiB/s ETA 2s (attempt 1, 115200 bps)".
func (b *progressBar) render(p procedure.ReflashProgress) string {
	total := max(p.Total, 1)
	pct := p.Sent * 100 / total
	const width = 30
	fill := int(p.Sent * width / total)
	bar := strings.Repeat("=", fill)
	if fill < width {
		bar += ">" + strings.Repeat(" ", width-fill-1)
	}
	elapsed := b.now().Sub(b.started)
	rate, eta := "-", "-"
	if elapsed > 0 && p.Sent > 0 {
		bps := float64(p.Sent) / elapsed.Seconds()
		rate = fmt.Sprintf("%.1f KiB/s", bps/1024)
		eta = (time.Duration(float64(p.Total-p.Sent)/bps*float64(time.Second)) + time.Second/2).Truncate(time.Second).String()
	}
	return fmt.Sprintf("transfer [%s] %3d%% %.1f/%.1f KiB %s ETA %s (attempt %d, %d bps)",
		bar, pct, float64(p.Sent)/1024, float64(p.Total)/1024, rate, eta, p.Attempt, p.Baud)
}

func (b *progressBar) endLine() {
	if b.drawn {
		fmt.Fprintln(b.w)
		b.drawn = false
	}
}

func (b *progressBar) finish() { b.endLine() }
