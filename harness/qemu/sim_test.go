package qemu

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func simNode(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(src), &n); err != nil {
		t.Fatal(err)
	}
	return &n
}

func TestDecodeSim(t *testing.T) {
	got, err := DecodeSim("rig.yaml", simNode(t, `
numato: {prompt: ">"}
qemu:
  - unit: u1
    pflash: /s/u1.pflash
    serial: /s/u1.uart
    qmp: /s/u1.qmp
    start_timeout: 20s
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Unit != "u1" || got[0].Config.Serial != "/s/u1.uart" ||
		got[0].Config.StartTimeout != 20*time.Second || got[0].Line != 4 {
		t.Fatalf("got %+v", got)
	}
	none, err := DecodeSim("rig.yaml", simNode(t, `numato: {prompt: ">"}`))
	if err != nil || none != nil {
		t.Fatalf("a sim without qemu: %v %v", none, err)
	}
}

func TestDecodeSimErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"qemu:\n  - unit: u1\n    pflash: a\n    serial: b\n    qmp: c\n    seriall: d\n", `rig.yaml:6: sim.qemu[0]: unknown key "seriall"`},
		{"qemu:\n  - pflash: a\n", "rig.yaml:2: sim.qemu[0]: unit is required"},
		{"qemu:\n  - unit: u1\n    pflash: a\n", "needs pflash, serial and qmp"},
		{"qemu: {unit: u1}\n", "rig.yaml:1: sim.qemu: want a list"},
		{"qemu:\n  - {unit: u, pflash: a, serial: b, qmp: c}\n  - {unit: u, pflash: a, serial: b, qmp: c}\n", `unit "u" listed twice`},
		{"qemu:\n  - {unit: u, pflash: a, serial: b, qmp: c, start_timeout: soon}\n", "rig.yaml:2: sim.qemu[0]"},
	} {
		_, err := DecodeSim("rig.yaml", simNode(t, tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.src, err, tc.want)
		}
	}
}

func TestShippedRigFileSimSection(t *testing.T) {
	data, err := os.ReadFile("../../rigs/qemu-uboot.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Sim yaml.Node `yaml:"sim"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	units, err := DecodeSim("rigs/qemu-uboot.yaml", &doc.Sim)
	if err != nil {
		t.Fatal(err)
	}
	if len(units) != 1 || units[0].Unit != "uboot1" || !strings.HasSuffix(units[0].Config.Serial, "/uboot1.uart") {
		t.Fatalf("units %+v", units)
	}
}
