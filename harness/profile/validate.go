package profile

import (
	"fmt"

	"github.com/camrig/camrig/harness/fwimage"
	"github.com/camrig/camrig/harness/notation"
)

type problem struct {
	path []string
	msg  string
}

func (p *Profile) validate() []problem {
	var out []problem
	bad := func(msg string, path ...string) { out = append(out, problem{path, msg}) }
	if p.Model == "" {
		bad("model is required", "model")
	}
	checkWindow := func(name string, w *Window) {
		if w == nil {
			return
		}
		switch {
		case w.Min <= 0 || w.Max <= 0 || w.Hold <= 0:
			bad(fmt.Sprintf("holds.%s: hold, min and max must all be positive", name), "holds", name)
		case w.Min > w.Max:
			bad(fmt.Sprintf("holds.%s: min %v is above max %v", name, w.Min, w.Max), "holds", name)
		case w.Hold < w.Min || w.Hold > w.Max:
			bad(fmt.Sprintf("holds.%s: hold %v is outside [%v, %v]", name, w.Hold, w.Min, w.Max), "holds", name)
		}
	}
	checkWindow("reboot", p.Holds.Reboot)
	checkWindow("factory", p.Holds.Factory)
	checkWindow("power_on", p.Holds.PowerOn)
	if p.ResetButton && p.Holds.Factory == nil {
		bad("a model with reset_button needs holds.factory", "holds")
	}
	if !p.ResetButton && (p.Holds.Factory != nil || p.Holds.Reboot != nil || p.Holds.PowerOn != nil || p.Holds.Reaction != 0) {
		bad("holds given for a model without reset_button", "holds")
	}
	if r := p.Holds.Reaction; r < 0 || (r > 0 && p.Boot.Deadline > 0 && r >= p.Boot.Deadline) {
		bad(fmt.Sprintf("holds.reaction %v: want a positive time shorter than boot.deadline %v (or none: %v)",
			r, p.Boot.Deadline, DefaultReaction), "holds", "reaction")
	}
	if r, f := p.Holds.Reboot, p.Holds.Factory; r != nil && f != nil && r.Max >= f.Min {
		bad(fmt.Sprintf("holds.reboot max %v overlaps holds.factory min %v", r.Max, f.Min), "holds", "reboot")
	}
	if p.Boot.Deadline <= 0 {
		bad("boot.deadline must be positive", "boot", "deadline")
	}
	if p.Boot.ReadyMarker == "" {
		bad("boot.ready_marker is required", "boot", "ready_marker")
	}
	out = append(out, p.Boot.FailureMarkers.validate(p)...)
	bl := p.Bootloader
	if bl.Prompt == "" || bl.Autoboot == "" || bl.InterruptKey == "" {
		bad("bootloader needs autoboot, interrupt_key and prompt", "bootloader")
	}
	switch bl.Framing {
	case "", "hush", "simple":
	default:
		bad(fmt.Sprintf("bootloader.framing %q: want hush or simple", bl.Framing), "bootloader", "framing")
	}
	if bl.LineClear != "" && bl.LineClear != "\x03" && bl.LineClear != "\x15" {
		bad(fmt.Sprintf("bootloader.line_clear %q: want \"\\x03\" (Ctrl+C) or \"\\x15\" (Ctrl+U)", bl.LineClear), "bootloader", "line_clear")
	}
	if bl.Presses < 0 || bl.Presses > 50 {
		bad("bootloader.presses must be 0..50", "bootloader", "presses")
	}
	switch p.LED.FactoryArmed {
	case "", "blinking", "on", "off":
	default:
		bad(fmt.Sprintf("led.factory_armed %q: want blinking, on or off", p.LED.FactoryArmed), "led", "factory_armed")
	}
	if p.LED.FactoryArmed == "blinking" && p.LED.BlinkHz <= 0 {
		bad("led.blink_hz must be positive when factory_armed is blinking", "led", "blink_hz")
	}
	if p.Holds.ReleaseOnLED && p.LED.FactoryArmed == "" {
		bad("holds.release_on_led needs led.factory_armed", "holds", "release_on_led")
	}
	if p.Lockout.Attempts < 0 || (p.Lockout.Attempts > 0 && p.Lockout.Duration <= 0) {
		bad("lockout needs attempts >= 1 with a positive duration (or attempts 0 for none)", "lockout")
	}
	switch p.Lockout.Scope {
	case "", "account", "ip":
	default:
		bad(fmt.Sprintf("lockout.scope %q: want account or ip", p.Lockout.Scope), "lockout", "scope")
	}
	out = append(out, p.Flash.validate()...)
	if p.Flash.Program == "words" && bl.Framing == "simple" {
		bad("flash.program: words runs a hush loop; bootloader.framing simple has no hush", "flash", "program")
	}
	switch p.API.Kind {
	case "", "isapi", "none":
	default:
		bad(fmt.Sprintf("api.kind %q: want isapi or none", p.API.Kind), "api", "kind")
	}
	switch p.API.NotActivatedStatus {
	case 0, 401, 403:
	default:
		bad("api.not_activated_status must be 401 or 403", "api", "not_activated_status")
	}
	return out
}

func (f Flash) validate() []problem {
	var out []problem
	bad := func(msg string, path ...string) { out = append(out, problem{append([]string{"flash"}, path...), msg}) }
	if f.Kind == "" && f.Size == 0 && len(f.Partitions) == 0 && f.Firmware == "" {
		return nil // never reflashed: no flash section
	}
	switch f.Kind {
	case "spi-nor", "cfi-nor", "spi-nand", "nand", "mmc":
	default:
		bad(fmt.Sprintf("flash.kind %q: want spi-nor, cfi-nor, spi-nand, nand or mmc", f.Kind), "kind")
		return out
	}
	if f.IsNAND() && (f.PageSize == 0 || f.EraseSize%f.PageSize != 0) {
		bad("flash.page_size must be positive and divide flash.erase_size on NAND", "page_size")
	}
	switch f.Program {
	case "", "buffer":
	case "words":
		if f.Kind != "cfi-nor" {
			bad("flash.program: words is for cfi-nor flash", "program")
		}
	default:
		bad(fmt.Sprintf("flash.program %q: want buffer or words", f.Program), "program")
	}
	if f.ErasePart && !f.IsNAND() {
		bad("flash.erase_part is for NAND (nand erase.part)", "erase_part")
	}
	if f.Firmware != "" || f.Image.Format != "" {
		switch f.Image.Format {
		case "camrig", "uimage", "fit", "raw":
		case "":
			bad("flash.image.format is required to reflash: camrig, uimage, fit or raw", "image")
		default:
			bad(fmt.Sprintf("flash.image.format %q: want camrig, uimage, fit or raw", f.Image.Format), "image", "format")
		}
		if (f.Image.Arch != "" || f.Image.Type != "") && f.Image.Format != "uimage" {
			bad("flash.image.arch and type are uImage header fields (format: uimage)", "image")
		}
		if f.Image.Arch != "" && !knownArch(f.Image.Arch) {
			bad(fmt.Sprintf("flash.image.arch %q is not an architecture mkimage knows", f.Image.Arch), "image", "arch")
		}
		if f.Image.Type != "" && !knownType(f.Image.Type) {
			bad(fmt.Sprintf("flash.image.type %q is not an image type mkimage knows", f.Image.Type), "image", "type")
		}
	}
	if f.Size == 0 || f.EraseSize == 0 || f.Size%f.EraseSize != 0 {
		bad("flash.size must be a positive multiple of flash.erase_size", "size")
		return out
	}
	seen := map[string]bool{}
	var prevEnd notation.ByteSize
	for i, p := range f.Partitions {
		idx := fmt.Sprintf("[%d]", i)
		switch {
		case p.Name == "":
			bad("partition needs a name", "partitions", idx)
		case seen[p.Name]:
			bad(fmt.Sprintf("duplicate partition %q", p.Name), "partitions", idx)
		case p.Size == 0 || p.Offset%f.EraseSize != 0 || p.Size%f.EraseSize != 0:
			bad(fmt.Sprintf("partition %q must be non-empty and aligned to the %v erase size", p.Name, f.EraseSize), "partitions", idx)
		case p.Offset < prevEnd:
			bad(fmt.Sprintf("partition %q overlaps the one before it", p.Name), "partitions", idx)
		case p.Offset+p.Size > f.Size:
			bad(fmt.Sprintf("partition %q ends past the %v flash", p.Name, f.Size), "partitions", idx)
		}
		seen[p.Name] = true
		prevEnd = p.Offset + p.Size
	}
	if f.Firmware != "" && !seen[f.Firmware] {
		bad(fmt.Sprintf("flash.firmware names unknown partition %q", f.Firmware), "firmware")
	}
	return out
}

func knownArch(s string) bool { _, ok := fwimage.UImageArch(s); return ok }
func knownType(s string) bool { _, ok := fwimage.UImageType(s); return ok }
