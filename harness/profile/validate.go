package profile

import "fmt"

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
	if !p.ResetButton && (p.Holds.Factory != nil || p.Holds.Reboot != nil || p.Holds.PowerOn != nil) {
		bad("holds given for a model without reset_button", "holds")
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
	bl := p.Bootloader
	if bl.Prompt == "" || bl.Autoboot == "" || bl.InterruptKey == "" {
		bad("bootloader needs autoboot, interrupt_key and prompt", "bootloader")
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
	switch f.Kind {
	case "spi-nor", "cfi-nor", "mmc":
	default:
		bad(fmt.Sprintf("flash.kind %q: want spi-nor, cfi-nor or mmc", f.Kind), "kind")
		return out
	}
	if f.Size == 0 || f.EraseSize == 0 || f.Size%f.EraseSize != 0 {
		bad("flash.size must be a positive multiple of flash.erase_size", "size")
		return out
	}
	seen := map[string]bool{}
	var prevEnd ByteSize
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
