package profile

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// FailureMarker is console output that says a unit is failing, not merely
// slow: a boot wait that sees one ends at once instead of running to its
// deadline.
type FailureMarker struct {
	// Name says what failed (kernel-panic, bad-image, ...); errors and
	// reports use it.
	Name string `yaml:"name"`
	// Text is a literal a failing line contains; or
	Text string `yaml:"text"`
	// Regex is an RE2 expression matched within one line.
	Regex string `yaml:"regex"`
}

// String shows the marker as the profile gives it.
func (m FailureMarker) String() string {
	if m.Regex != "" {
		return fmt.Sprintf("%s /%s/", m.Name, m.Regex)
	}
	return fmt.Sprintf("%s %q", m.Name, m.Text)
}

// FailureMarkers is a profile's boot.failure_markers: the default set
// (DefaultFailureMarkers, and the bootloader's prompt) adjusted for the
// model.
type FailureMarkers struct {
	// NoDefaults starts from nothing instead of the default set.
	NoDefaults bool `yaml:"no_defaults"`
	// Disable names default markers this model prints on healthy boots.
	Disable []string `yaml:"disable"`
	// Add lists the model's own markers; one named like a default replaces
	// it.
	Add []FailureMarker `yaml:"add"`
}

// BootloaderPromptMarker names the default marker made of the profile's
// bootloader prompt: a boot that ends at the bootloader's prompt found no
// kernel it could start.
const BootloaderPromptMarker = "bootloader-prompt"

// DefaultFailureMarkers are what every profile watches for during a boot
// unless it says otherwise: the messages of Linux and U-Boot that mean the
// boot will not reach the application. (BootloaderPromptMarker is added
// per profile, from bootloader.prompt.)
var DefaultFailureMarkers = []FailureMarker{
	{Name: "kernel-panic", Text: "Kernel panic - not syncing"},
	// U-Boot refusing the image it was to boot: a corrupt or foreign
	// firmware partition.
	{Name: "bad-image", Regex: `Bad (Data CRC|Header Checksum|Magic Number)|Wrong Image Format|can't get kernel image|Unsupported (Architecture|Compression Type)`},
	// Flash file systems failing (recovery after an unclean shutdown
	// prints "UBIFS (ubi0:0): recovery ..." or "jffs2: Empty flash", not
	// these).
	{Name: "ubifs-error", Regex: `UBIFS error|UBI error|ubi\d+ error`},
	{Name: "jffs2-error", Regex: `(?i)jffs2:? error`},
	{Name: "squashfs-error", Text: "SQUASHFS error"},
	// A watchdog that fired: the SoC resets behind the boot's back.
	{Name: "watchdog-reset", Regex: `(?i)watchdog (reset|bite|expired|timeout expired)|reset by watchdog|(reset|reboot|restart|boot) (cause|reason|source)\W+(\w+ )?(wdog|wdt|watchdog)|\bWDT reset`},
}

// FailureMarkers is the profile's resolved set: the defaults and the
// bootloader prompt, less the disabled ones, with the profile's own added.
func (p *Profile) FailureMarkers() []FailureMarker {
	fm := p.Boot.FailureMarkers
	var out []FailureMarker
	if !fm.NoDefaults {
		for _, m := range p.defaultFailureMarkers() {
			if !slices.Contains(fm.Disable, m.Name) {
				out = append(out, m)
			}
		}
	}
	for _, m := range fm.Add {
		if i := slices.IndexFunc(out, func(o FailureMarker) bool { return o.Name == m.Name }); i >= 0 {
			out[i] = m
			continue
		}
		out = append(out, m)
	}
	return out
}

func (p *Profile) defaultFailureMarkers() []FailureMarker {
	out := slices.Clone(DefaultFailureMarkers)
	if p.Bootloader.Prompt != "" {
		out = append(out, FailureMarker{Name: BootloaderPromptMarker, Text: p.Bootloader.Prompt})
	}
	return out
}

func (fm FailureMarkers) validate(p *Profile) []problem {
	var out []problem
	at := func(path ...string) []string { return append([]string{"boot", "failure_markers"}, path...) }
	var known []string
	for _, m := range p.defaultFailureMarkers() {
		known = append(known, m.Name)
	}
	if !slices.Contains(known, BootloaderPromptMarker) {
		known = append(known, BootloaderPromptMarker)
	}
	for i, name := range fm.Disable {
		if !slices.Contains(known, name) {
			out = append(out, problem{at("disable", fmt.Sprintf("[%d]", i)),
				fmt.Sprintf("boot.failure_markers.disable: no default marker %q (the defaults: %s)", name, strings.Join(known, ", "))})
		}
	}
	seen := map[string]bool{}
	for i, m := range fm.Add {
		path := at("add", fmt.Sprintf("[%d]", i))
		bad := func(msg string) { out = append(out, problem{path, "boot.failure_markers.add: " + msg}) }
		switch {
		case m.Name == "":
			bad("a marker needs a name")
		case seen[m.Name]:
			bad(fmt.Sprintf("marker %q given twice", m.Name))
		case (m.Text == "") == (m.Regex == ""):
			bad(fmt.Sprintf("marker %q needs exactly one of text and regex", m.Name))
		case m.Regex != "":
			re, err := regexp.Compile(m.Regex)
			switch {
			case err != nil:
				bad(fmt.Sprintf("marker %q: %v", m.Name, err))
			case re.MatchString(""):
				// It would match every boot at its first byte.
				bad(fmt.Sprintf("marker %q: /%s/ matches an empty line", m.Name, m.Regex))
			}
		}
		seen[m.Name] = true
	}
	return out
}
