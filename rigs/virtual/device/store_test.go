package device_test

import (
	"path/filepath"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/device"
)

func TestStorePersistsAndWipes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cam1.json")
	s, err := device.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Set("deviceName", "lobby")
	s.Set("net.ip", "192.168.1.64")
	again, err := device.OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := again.Get("deviceName"); v != "lobby" {
		t.Fatalf("deviceName after reopen = %q", v)
	}
	again.Wipe("net.ip")
	if _, ok := again.Get("deviceName"); ok {
		t.Fatal("wipe kept deviceName")
	}
	if v, _ := again.Get("net.ip"); v != "192.168.1.64" {
		t.Fatal("wipe dropped a kept key")
	}
}

func TestStoreInterruptedWriteIsRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cam1.json")
	s, _ := device.OpenStore(path)
	s.Begin() // power is cut before Commit
	if !s.Writing() {
		t.Fatal("not writing after Begin")
	}
	after, _ := device.OpenStore(path)
	cut, err := after.Recover()
	if err != nil || !cut {
		t.Fatalf("Recover = %v, %v; want true", cut, err)
	}
	if cut, _ := after.Recover(); cut {
		t.Fatal("second Recover still reports a cut")
	}
}
