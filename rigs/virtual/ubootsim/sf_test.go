package ubootsim_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

func TestSFSession(t *testing.T) {
	r := newRig(t, w25q128)
	io := newBufIO()
	image := bytes.Repeat([]byte{0xA5, 0x5A, 0x00, 0x11}, 0x6000) // 96 KiB
	r.ram.Write(ramBase, image)
	steps := []struct {
		args []string
		out  string
		fail bool
	}{
		{[]string{"sf", "erase", "0", "10000"}, "No SPI flash selected. Please run `sf probe'\r\n", true},
		{[]string{"sf", "probe", "0"}, "SF: Detected w25q128 with page size 256 Bytes, erase size 64 KiB, total 16 MiB\r\n", false},
		{[]string{"sf", "erase", "0x0", "+18000"}, "SF: 131072 bytes @ 0 Erased: OK\r\n", false},
		{[]string{"sf", "write", "82000000", "0", "18000"}, "device 0 offset 0x0, size 0x18000\r\nSF: 98304 bytes @ 0 Written: OK\r\n", false},
		{[]string{"sf", "read", "0x83000000", "0x0", "0x18000"}, "device 0 offset 0x0, size 0x18000\r\nSF: 98304 bytes @ 0 Read: OK\r\n", false},
		{[]string{"cmp.b", "82000000", "83000000", "18000"}, "Total of 98304 byte(s) were the same\r\n", false},
		{[]string{"sf", "erase", "10000", "10000"}, "SF: 65536 bytes @ 0x10000 Erased: OK\r\n", false},
		{[]string{"sf", "erase", "100", "10000"}, "SF: Erase offset/length not multiple of erase size\r\nSF: 65536 bytes @ 0x100 Erased: ERROR\r\n", true},
		{[]string{"sf", "erase", "0", "2000000"}, "ERROR: attempting erase past flash size (0x1000000)\r\n", true},
		{[]string{"sf", "read", "83000000", "0", "1000000"}, "device 0 whole chip\r\nSF: 16777216 bytes @ 0 Read: OK\r\n", false},
		{[]string{"sf", "write", "82000000", "1000000", "10"}, "Offset exceeds device limit\r\n", true},
		{[]string{"sf", "write", "82000000", "ff0000", "20000"}, "Size exceeds partition or device limit\r\n", true},
		{[]string{"sf", "probe", "1:0"}, "Failed to initialize SPI flash at 1:0 (error -19)\r\n", true},
		{[]string{"sf", "frob"}, "Usage:\r\nsf probe", true},
	}
	for _, s := range steps {
		io.out.Reset()
		err := r.run(t, io, s.args...)
		if (err != nil) != s.fail || !strings.HasPrefix(io.output(), s.out) {
			t.Errorf("%v: err %v, output %q, want %q", s.args, err, io.output(), s.out)
		}
	}
	flash := make([]byte, 0x20000)
	r.chip.ReadAt(flash, 0)
	want := append(append([]byte(nil), image[:0x10000]...), bytes.Repeat([]byte{0xFF}, 0x10000)...)
	if !bytes.Equal(flash, want) {
		t.Fatal("flash contents wrong after write and the second sector's erase")
	}
}

// TestSFProbeIsPerBoot: a new boot (a new console) must probe again.
func TestSFProbeIsPerBoot(t *testing.T) {
	r := newRig(t, w25q128)
	first, second := newBufIO(), newBufIO()
	if err := r.run(t, first, "sf", "probe"); err != nil {
		t.Fatal(err)
	}
	if err := r.run(t, second, "sf", "erase", "0", "10000"); err == nil {
		t.Fatal("sf erase worked on a boot that never probed")
	}
}

func TestSFProbeReportsTheChip(t *testing.T) {
	r := newRig(t, flashsim.Geometry{Name: "MX25L64", Size: 8 << 20, EraseSize: 64 << 10, PageSize: 256})
	io := newBufIO()
	r.run(t, io, "sf", "probe")
	if got, want := io.output(), "SF: Detected MX25L64 with page size 256 Bytes, erase size 64 KiB, total 8 MiB\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
