package flashsim_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/camrig/camrig/rigs/virtual/flashsim"
)

func TestNAND(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nand.bin")
	g := flashsim.NANDGeometry{Name: "W25N01GV", Size: 16 * 4096, BlockSize: 4096, PageSize: 512, FactoryBad: []int{3}}
	c, err := flashsim.OpenNAND(path, g)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if !c.IsBad(3*4096) || c.IsBad(2*4096) {
		t.Fatal("factory bad-block table")
	}
	if err := c.EraseBlock(ctx, 3*4096); !errors.Is(err, flashsim.ErrBadBlock) {
		t.Fatalf("erasing a bad block: %v", err)
	}
	data := bytes.Repeat([]byte{0x5A}, 1024)
	if err := c.ProgramBlock(ctx, 4096, data); err != nil {
		t.Fatal(err)
	}
	c.FailProgram(5 * 4096)
	if err := c.ProgramBlock(ctx, 5*4096, data); !errors.Is(err, flashsim.ErrBadBlock) || !c.IsBad(5*4096) {
		t.Fatalf("a failing program must mark its block bad: %v", err)
	}
	c.FailErase(6 * 4096)
	if err := c.EraseBlock(ctx, 6*4096); !errors.Is(err, flashsim.ErrBadBlock) || !c.IsBad(6*4096) {
		t.Fatalf("a failing erase must mark its block bad: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.ProgramBlock(cctx, 7*4096, data); err == nil {
		t.Fatal("a program after the power went must stop")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Data and the bad-block table persist.
	c, err = flashsim.OpenNAND(path, g)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make([]byte, 1024)
	c.ReadAt(got, 4096)
	if !bytes.Equal(got, data) {
		t.Fatal("data lost over a reopen")
	}
	if bad := c.BadBlocks(); len(bad) != 3 || bad[0] != 3*4096 || bad[1] != 5*4096 || bad[2] != 6*4096 {
		t.Fatalf("bad blocks after a reopen: %x", bad)
	}
	c.ReadAt(got, 7*4096)
	if bytes.Count(got, []byte{0xFF}) != len(got) {
		t.Fatal("the interrupted program wrote a page")
	}
}

// A power cut in each kind of NAND operation stops it where the cut lands
// and makes the power fail there, once per cut.
func TestNANDPowerCut(t *testing.T) {
	g := flashsim.NANDGeometry{Name: "W25N01GV", Size: 8 * 4096, BlockSize: 4096, PageSize: 512}
	c, err := flashsim.OpenNAND(filepath.Join(t.TempDir(), "nand.bin"), g)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	zeros, erased := make([]byte, 4096), bytes.Repeat([]byte{0xFF}, 4096)
	if err := c.ProgramBlock(ctx, 0, zeros); err != nil {
		t.Fatal(err)
	}
	failed := 0
	only := func(want flashsim.Op) *flashsim.PowerCut {
		return &flashsim.PowerCut{Cuts: func(op flashsim.Op) bool { return op == want }, Fails: func() { failed++ }}
	}
	block := func(off int) []byte {
		c.SetPowerCut(nil)
		b := make([]byte, 4096)
		if _, err := c.ReadAt(b, int64(off)); err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		name string
		cut  flashsim.Op
		run  func() error
		want func() bool
	}{
		{"erase: half the block", flashsim.OpErase, func() error { return c.EraseBlock(ctx, 0) },
			func() bool {
				b := block(0)
				return bytes.Equal(b[:2048], erased[:2048]) && bytes.Equal(b[2048:], zeros[2048:])
			}},
		{"program: the first page", flashsim.OpProgram, func() error { return c.ProgramBlock(ctx, 4096, zeros) },
			func() bool {
				b := block(4096)
				return bytes.Equal(b[:512], zeros[:512]) && bytes.Equal(b[512:], erased[512:])
			}},
		{"program of one page: all of it", flashsim.OpProgram, func() error { return c.ProgramBlock(ctx, 2*4096, zeros[:512]) },
			func() bool { b := block(2 * 4096); return bytes.Equal(b[:512], zeros[:512]) }},
		{"read: nothing", flashsim.OpRead, func() error { _, err := c.ReadAt(make([]byte, 4), 0); return err },
			func() bool { return true }},
	} {
		before := failed
		c.SetPowerCut(only(tc.cut))
		if err := tc.run(); !errors.Is(err, flashsim.ErrInterrupted) {
			t.Fatalf("%s: %v, want interrupted", tc.name, err)
		}
		if !tc.want() || failed != before+1 {
			t.Fatalf("%s: the chip holds the wrong thing or the power failed %d times", tc.name, failed-before)
		}
	}
}
