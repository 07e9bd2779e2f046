package unit

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFixtureProfilesLoad(t *testing.T) {
	for _, model := range []string{"blink", "hikvision-ds2cd", "generic-poe-ipc", "no-button"} {
		t.Run(model, func(t *testing.T) {
			p := loadFixtureProfile(t, model)
			if p.Model != model {
				t.Errorf("model %q", p.Model)
			}
			if _, err := LoadScript(p.ScriptPath()); err != nil {
				t.Errorf("boot script: %v", err)
			}
		})
	}
	p := loadFixtureProfile(t, "hikvision-ds2cd")
	if p.Bootloader.InterruptKey != "\x15" || p.Bootloader.Prompt != "HKVS # " || p.Flash.LoadAddr != 0x82000000 {
		t.Errorf("hikvision bootloader/flash read wrong: %+v %+v", p.Bootloader, p.Flash)
	}
	// The simulators beside the unit take their part of the profile from
	// this one reading too.
	f := p.Flash
	if f.Kind != "spi-nor" || f.Size != 16<<20 || f.EraseSize != 64<<10 || f.Firmware != "firmware" ||
		len(f.Partitions) != 4 || f.Partitions[3] != (Partition{Name: "firmware", Offset: 0x100000, Size: 15 << 20}) {
		t.Errorf("hikvision flash layout read wrong: %+v", f)
	}
	if p.API != (API{Kind: "isapi", NotActivatedStatus: 401, User: "admin"}) || !p.NVRSync ||
		p.Lockout != (Lockout{Attempts: 7, Duration: 30 * time.Minute, Scope: "ip"}) {
		t.Errorf("hikvision network side read wrong: %+v %+v nvr_sync %v", p.API, p.Lockout, p.NVRSync)
	}
	if p.Holds.PowerOn == nil || p.Holds.PowerOn.Min != 10*time.Second || p.LED.BlinkHz != 4 {
		t.Errorf("hikvision holds/led read wrong: %+v %+v", p.Holds, p.LED)
	}
	if g := loadFixtureProfile(t, "generic-poe-ipc"); !g.Holds.AfterBoot || g.Bootloader.Presses != 3 {
		t.Errorf("generic-poe-ipc read wrong: %+v", g)
	}
}

func TestProfileErrorsNameTheFileAndKey(t *testing.T) {
	good := `model: m
bootloader: {autoboot: "Hit any key", interrupt_key: "\r", prompt: "# "}
boot: {ready_marker: ready}
`
	if _, err := ParseProfile("good.yaml", []byte(good)); err != nil {
		t.Fatalf("good profile: %v", err)
	}
	cases := []struct{ name, yaml, want string }{
		{"not yaml", "model: [", "bad.yaml"},
		{"no model", strings.Replace(good, "model: m", "", 1), "model is missing"},
		{"no prompt", strings.Replace(good, `prompt: "# "`, `prompt: ""`, 1), "prompt"},
		{"no ready marker", strings.Replace(good, "ready_marker: ready", "ready_marker: ''", 1), "ready_marker"},
		{"window upside down", good + "holds: {factory: {min: 30s, max: 10s}}\n", "holds.factory"},
		{"bad duration", good + "holds: {factory: {min: soon, max: 10s}}\n", "bad.yaml"},
		{"blinking without rate", good + "led: {factory_armed: blinking}\n", "blink_hz"},
		{"unknown led mode", good + "led: {factory_armed: disco}\n", "disco"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile("bad.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.yaml") {
				t.Fatalf("error %q should name bad.yaml and %q", err, tc.want)
			}
		})
	}
}

func TestProfileScriptPathIsRelativeToTheProfile(t *testing.T) {
	p := &Profile{File: filepath.Join("a", "b", "p.yaml"), BootScript: "../boot/x.log"}
	if got := p.ScriptPath(); got != filepath.Join("a", "boot", "x.log") {
		t.Fatalf("ScriptPath = %q", got)
	}
}
