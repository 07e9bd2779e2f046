package qemusim

import (
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestUnitSimDecodes(t *testing.T) {
	var sim struct {
		QEMU []UnitSim `yaml:"qemu"`
	}
	err := yaml.Unmarshal([]byte(`
qemu:
  - unit: u1
    pflash: /s/u1.pflash
    serial: /s/u1.uart
    qmp: /s/u1.qmp
    start_timeout: 20s
`), &sim)
	if err != nil {
		t.Fatal(err)
	}
	want := UnitSim{Unit: "u1", Line: 3, Config: Config{PFlash: "/s/u1.pflash", Serial: "/s/u1.uart", QMP: "/s/u1.qmp", StartTimeout: 20 * time.Second}}
	if len(sim.QEMU) != 1 || sim.QEMU[0] != want {
		t.Fatalf("got %+v, want %+v", sim.QEMU, want)
	}
	if got := sim.QEMU[0].SerialPort(); got != "unix:///s/u1.uart" {
		t.Errorf("serial port %q", got)
	}
	if got := sim.QEMU[0].QMPPort(); got != "unix:///s/u1.qmp" {
		t.Errorf("qmp port %q", got)
	}
	if err := yaml.Unmarshal([]byte("qemu:\n  - {unit: u, start_timeout: soon}\n"), &sim); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a bad start_timeout: %v", err)
	}
}

func TestUnitSimCheck(t *testing.T) {
	full := UnitSim{Unit: "u1", Config: Config{PFlash: "f", Serial: "s", QMP: "q"}}
	if err := full.Check(); err != nil {
		t.Fatalf("a complete entry: %v", err)
	}
	for _, tc := range []struct {
		edit func(*UnitSim)
		want string
	}{
		{func(u *UnitSim) { u.Unit = "" }, "unit is required"},
		{func(u *UnitSim) { u.PFlash = "" }, `unit "u1" needs pflash, serial and qmp paths`},
		{func(u *UnitSim) { u.Serial = "" }, "needs pflash, serial and qmp"},
		{func(u *UnitSim) { u.QMP = "" }, "needs pflash, serial and qmp"},
	} {
		u := full
		tc.edit(&u)
		if err := u.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", u, err, tc.want)
		}
	}
}
