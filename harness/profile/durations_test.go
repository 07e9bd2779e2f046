package profile

import (
	"testing"
	"time"
)

// Durations names every set duration by its YAML key path, skipping unset
// ones and nil windows.
func TestDurations(t *testing.T) {
	p := &Profile{
		Holds: Holds{Reboot: &Window{Hold: 5 * time.Second, Min: 3 * time.Second, Max: 10 * time.Second}},
		Boot:  Boot{Deadline: time.Minute},
	}
	got := map[string]time.Duration{}
	for _, nd := range p.Durations() {
		got[nd.Key] = nd.D
	}
	want := map[string]time.Duration{"holds.reboot.hold": 5 * time.Second, "holds.reboot.min": 3 * time.Second,
		"holds.reboot.max": 10 * time.Second, "boot.deadline": time.Minute}
	if len(got) != len(want) {
		t.Fatalf("Durations = %v, want %v", got, want)
	}
	for k, d := range want {
		if got[k] != d {
			t.Errorf("%s = %v, want %v", k, got[k], d)
		}
	}
}
