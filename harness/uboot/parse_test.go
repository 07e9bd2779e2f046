package uboot

import (
	"strings"
	"testing"
)

// Replies captured from U-Boot 2023.01 (Debian u-boot-qemu) unless noted.
func TestParseCRC32(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CRC32
		bad  bool
	}{
		{in: "crc32 for 40200000 ... 4020ffff ==> f5a6dd4a\n", want: CRC32{0x40200000, 0x4020ffff, 0xf5a6dd4a}},
		{in: "CRC32 for 82000000 ... 8200ffff ==> 0A0B0C0D", want: CRC32{0x82000000, 0x8200ffff, 0x0a0b0c0d}}, // older trees
		{in: "crc32 for 40200000 ... 401fffff ==> 00000000", want: CRC32{0x40200000, 0x401fffff, 0}},          // count 0
		{in: "crc32 - checksum calculation\n\nUsage:\ncrc32 address count [addr]", bad: true},
		{in: "crc32 for 40200000 ... 4020ffff ==> 1f5a6dd4a", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseCRC32(tc.in)
		if tc.bad != (err != nil) || (!tc.bad && got != tc.want) {
			t.Errorf("ParseCRC32(%q) = %+v, %v; want %+v bad=%v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseLoady(t *testing.T) {
	r, err := ParseReady("## Ready for binary (ymodem) download to 0x40200000 at 115200 bps...")
	if err != nil || r != (Ready{"ymodem", 0x40200000, 115200}) {
		t.Fatalf("ParseReady = %+v, %v", r, err)
	}
	if _, err := ParseReady("## Switch baudrate to 921600 bps and press ENTER ..."); err == nil {
		t.Error("the switch line parsed as ready")
	}
	n, err := ParseTotalSize("## Total Size      = 0x00010000 = 65536 Bytes\r\n## Start Addr      = 0x40200000")
	if err != nil || n != 65536 {
		t.Fatalf("ParseTotalSize = %d, %v", n, err)
	}
	if _, err := ParseTotalSize("## Total Size      = 0x00010000 = 65535 Bytes"); err == nil {
		t.Error("disagreeing hex and decimal sizes accepted")
	}
}

func TestParseSF(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want SFInfo
	}{
		{"SF: Detected w25q128 with page size 256 Bytes, erase size 64 KiB, total 16 MiB", SFInfo{"w25q128", 256, 64 << 10, 16 << 20}},
		{"SF: Detected MX25L6405D with page size 256 Bytes, erase size 64 KiB, total 8 MiB\r\n", SFInfo{"MX25L6405D", 256, 64 << 10, 8 << 20}},
		{"SF: Detected S25FL128S_64K with page size 256 Bytes, sector size 64 KiB, total 16 MiB", SFInfo{"S25FL128S_64K", 256, 64 << 10, 16 << 20}},
	} {
		got, err := ParseSFProbe(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSFProbe(%q) = %+v, %v", tc.in, got, err)
		}
	}
	if _, err := ParseSFProbe("No SPI flash selected. Please run `sf probe'"); err == nil {
		t.Error("no-flash reply parsed")
	}
	op, found, err := ParseSFOp("SF: 65536 bytes @ 0x100000 Erased: OK\n", "Erased")
	if err != nil || !found || op != (SFOp{65536, 0x100000, "Erased", true}) {
		t.Errorf("erase op = %+v %v %v", op, found, err)
	}
	op, found, _ = ParseSFOp("device 0 offset 0x0, size 0x1000\nSF: 4096 bytes @ 0x0 Written: ERROR\n", "Written")
	if !found || op.OK {
		t.Errorf("write ERROR = %+v %v", op, found)
	}
	if _, found, _ := ParseSFOp("SF: 4096 bytes @ 0x0 Read: OK", "Written"); found {
		t.Error("a Read line was taken for Written")
	}
}

func TestParseCompareAndFlash(t *testing.T) {
	c, err := ParseCompare("byte at 0x40201000 (0x38) != byte at 0x04041000 (0xff)\r\nTotal of 4096 byte(s) were the same")
	if err != nil || c.Same != 4096 || c.Mismatch == nil || *c.Mismatch != (Mismatch{0x40201000, 0x04041000, 0x38, 0xff}) {
		t.Fatalf("ParseCompare = %+v %v", c, err)
	}
	c, err = ParseCompare("Total of 4096 byte(s) were the same")
	if err != nil || c.Mismatch != nil {
		t.Fatalf("equal compare = %+v %v", c, err)
	}
	for _, tc := range []struct {
		in   string
		want FlashReply
	}{
		{"Un-Protected 2 sectors", FlashReply{Sectors: 2}},
		{"\r\n.. done\r\nErased 2 sectors", FlashReply{Sectors: 2}},
		{"- Warning: 1 protected sectors will not be erased!\r\n done\r\nErased 1 sectors", FlashReply{Sectors: 1, SkippedProtected: 1}},
		{"Copy to Flash... done", FlashReply{CopyDone: true}},
		{"Copy to Flash... Can't write to protected Flash sectors", FlashReply{Problem: "Can't write to protected Flash sectors"}},
		{"Copy to Flash... Flash not Erased", FlashReply{Problem: "Flash not Erased"}},
		{"Flash erase timeout at address 4040000 data 80808080", FlashReply{Problem: "Flash erase timeout at address 4040000"}},
	} {
		if got := ParseFlashReply(tc.in); got != tc.want {
			t.Errorf("ParseFlashReply(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseMMC(t *testing.T) {
	r, err := ParseMMC("\nMMC write: dev # 0, block # 2048, count 8 ... 8 blocks written: OK\n", "write")
	if err != nil || r != (MMCOp{0, 2048, 8, 8, true}) {
		t.Fatalf("ParseMMC = %+v %v", r, err)
	}
	if _, err := ParseMMC("MMC read: dev # 0, block # 0, count 1 ... 1 blocks read: OK", "write"); err == nil {
		t.Error("a read line was taken for a write")
	}
}

func TestCommandOutputDropsEchoAndStrayPrompts(t *testing.T) {
	before := "=> \r\n=>   crc32 0 4; echo __camrig_rc_7=$?\r\ncrc32 for 00000000 ... 00000003 ==> 2144df1c\r\n"
	if got := commandOutput(before, "echo __camrig_rc_7=$?"); got != "crc32 for 00000000 ... 00000003 ==> 2144df1c" {
		t.Errorf("commandOutput = %q", got)
	}
}

func FuzzParseCRC32(f *testing.F) {
	f.Add("crc32 for 40200000 ... 4020ffff ==> f5a6dd4a")
	f.Add("CRC32 for ffffffffffffffff ... 0 ==> 0")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseCRC32(s)
		if err == nil && !strings.Contains(strings.ToLower(s), "crc32 for") {
			t.Fatalf("parsed %+v from text without a crc32 line", r)
		}
	})
}

func FuzzParseLoady(f *testing.F) {
	f.Add("## Ready for binary (ymodem) download to 0x40200000 at 115200 bps...\r\nC## Total Size      = 0x00001000 = 4096 Bytes")
	f.Add("## Total Size = 0xffffffffffffffff = 18446744073709551615 Bytes")
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseReady(s); err == nil && r.Baud < 0 {
			t.Fatalf("negative baud from %q", s)
		}
		if n, err := ParseTotalSize(s); err == nil && n < 0 {
			t.Fatalf("negative size from %q", s)
		}
	})
}

func FuzzParseSF(f *testing.F) {
	f.Add("SF: Detected w25q128 with page size 256 Bytes, erase size 64 KiB, total 16 MiB")
	f.Add("SF: 65536 bytes @ 0x100000 Erased: OK")
	f.Add("SF: Detected x with total 99999999999 GiB")
	f.Fuzz(func(t *testing.T, s string) {
		if info, err := ParseSFProbe(s); err == nil && info.Total == 0 {
			t.Fatalf("probe without a size accepted: %q", s)
		}
		for _, v := range []string{"Erased", "Written", "Read"} {
			if op, found, err := ParseSFOp(s, v); found && err == nil && op.Verb != v {
				t.Fatalf("asked %s, got %+v", v, op)
			}
		}
	})
}

func FuzzParseCFI(f *testing.F) {
	f.Add("byte at 0x40201000 (0x38) != byte at 0x04041000 (0xff)\r\nTotal of 4096 byte(s) were the same")
	f.Add("- Warning: 1 protected sectors will not be erased!\r\n done\r\nErased 1 sectors")
	f.Add("Copy to Flash... Can't write to protected Flash sectors")
	f.Fuzz(func(t *testing.T, s string) {
		ParseCompare(s)
		r := ParseFlashReply(s)
		if r.Sectors < 0 || r.SkippedProtected < 0 {
			t.Fatalf("negative counts %+v from %q", r, s)
		}
		if r.Problem != "" && !strings.Contains(s, r.Problem) {
			t.Fatalf("problem %q not in the text", r.Problem)
		}
	})
}

func FuzzParseMMC(f *testing.F) {
	f.Add("MMC write: dev # 0, block # 2048, count 8 ... 8 blocks written: OK")
	f.Fuzz(func(t *testing.T, s string) {
		if r, err := ParseMMC(s, "write"); err == nil && !strings.Contains(s, "written") {
			t.Fatalf("parsed %+v without a written line", r)
		}
	})
}

func TestParseNAND(t *testing.T) {
	out := "NAND write: device 0 offset 0x100000, size 0x30000\nSkip bad block 0x00120000\n 196608 bytes written: OK"
	op, err := ParseNANDOp(out, "written")
	if err != nil || op.Bytes != 196608 || !op.OK || len(op.Skipped) != 1 || op.Skipped[0] != 0x120000 {
		t.Fatalf("%+v %v", op, err)
	}
	if _, err := ParseNANDOp("Size of write exceeds partition or device limit", "written"); err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Fatalf("limit: %v", err)
	}
	if op, _ := ParseNANDOp(" 4096 bytes read: ERROR", "read"); op.OK {
		t.Fatal("ERROR taken for OK")
	}
	e := ParseNANDErase("NAND erase.part: device 0 offset 0x100000, size 0x800000\nSkipping bad block at  0x00120000   \nErasing at 0x8e0000 -- 100% complete.\nOK")
	if !e.OK || e.Problem != "" || len(e.Skipped) != 1 {
		t.Fatalf("%+v", e)
	}
	e = ParseNANDErase("nand_erase_nand: failed erase, page 0x00000900\nERROR")
	if e.OK || e.Problem == "" {
		t.Fatalf("%+v", e)
	}
}

func FuzzParseNAND(f *testing.F) {
	f.Add(" 196608 bytes written: OK\nSkip bad block 0x00120000")
	f.Add("Skipping bad block at  0x00120000\nOK")
	f.Fuzz(func(t *testing.T, s string) {
		ParseNANDOp(s, "written")
		ParseNANDErase(s)
	})
}
