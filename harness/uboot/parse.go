package uboot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The parsers below read what U-Boot prints (formats from its cmd/ and
// drivers/ sources, checked against U-Boot 2023.01 under QEMU). They take
// untrusted bytes from a serial line and are fuzzed.

// CRC32 is a `crc32 addr len` reply: "crc32 for %08lx ... %08lx ==> %08lx"
// (older trees print "CRC32 for").
type CRC32 struct {
	Start, End uint64 // first and last byte covered
	Sum        uint32
}

var reCRC32 = regexp.MustCompile(`(?i)crc32 for ([0-9a-f]{1,16}) \.\.\. ([0-9a-f]{1,16}) ==> ([0-9a-f]{1,8})\b`)

// ParseCRC32 finds the crc32 line in out.
func ParseCRC32(out string) (CRC32, error) {
	m := reCRC32.FindStringSubmatch(out)
	if m == nil {
		return CRC32{}, fmt.Errorf("no %q line in the reply", "crc32 for ... ==> ...")
	}
	start, err1 := strconv.ParseUint(m[1], 16, 64)
	end, err2 := strconv.ParseUint(m[2], 16, 64)
	sum, err3 := strconv.ParseUint(m[3], 16, 32)
	if err1 != nil || err2 != nil || err3 != nil {
		return CRC32{}, fmt.Errorf("unreadable crc32 line %q", m[0])
	}
	return CRC32{Start: start, End: end, Sum: uint32(sum)}, nil
}

// Ready is loady's "## Ready for binary (ymodem) download to 0x%08lX at %d bps...".
type Ready struct {
	Protocol string // ymodem, xmodem or kermit
	Addr     uint64
	Baud     int
}

var reReady = regexp.MustCompile(`## Ready for binary \((ymodem|xmodem|kermit)\) download to 0x([0-9A-Fa-f]{1,16}) at (\d{1,9}) bps`)

// ParseReady reads loady/loadx's ready line.
func ParseReady(s string) (Ready, error) {
	m := reReady.FindStringSubmatch(s)
	if m == nil {
		return Ready{}, fmt.Errorf("no %q line", "## Ready for binary ... download")
	}
	addr, err := strconv.ParseUint(m[2], 16, 64)
	if err != nil {
		return Ready{}, fmt.Errorf("unreadable address in %q", m[0])
	}
	baud, _ := strconv.Atoi(m[3])
	return Ready{Protocol: m[1], Addr: addr, Baud: baud}, nil
}

var reTotal = regexp.MustCompile(`## Total Size\s*=\s*0x([0-9A-Fa-f]{1,16})\s*=\s*(\d{1,20}) Bytes`)

// ParseTotalSize reads loady's "## Total Size      = 0x%08x = %d Bytes".
// The hex and decimal figures must agree.
func ParseTotalSize(out string) (int64, error) {
	m := reTotal.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("no %q line", "## Total Size = ...")
	}
	hex, err1 := strconv.ParseInt(m[1], 16, 64)
	dec, err2 := strconv.ParseInt(m[2], 10, 64)
	if err1 != nil || err2 != nil || hex != dec {
		return 0, fmt.Errorf("inconsistent size line %q", m[0])
	}
	return dec, nil
}

// SFInfo is `sf probe`'s "SF: Detected w25q128 with page size 256 Bytes,
// erase size 64 KiB, total 16 MiB".
type SFInfo struct {
	Chip      string
	PageSize  uint64
	EraseSize uint64 // 0 when the bootloader does not say
	Total     uint64
}

var (
	reSFDetected = regexp.MustCompile(`SF: Detected (\S+) with (.*)`)
	reSFSize     = regexp.MustCompile(`(page size|erase size|sector size|total) (\d{1,12}) (Bytes|KiB|MiB|GiB)`)
)

// ParseSFProbe reads the "SF: Detected ..." line.
func ParseSFProbe(out string) (SFInfo, error) {
	m := reSFDetected.FindStringSubmatch(out)
	if m == nil {
		return SFInfo{}, fmt.Errorf("no %q line", "SF: Detected ...")
	}
	info := SFInfo{Chip: m[1]}
	for _, f := range reSFSize.FindAllStringSubmatch(m[2], -1) {
		n, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			continue
		}
		n <<= map[string]uint{"Bytes": 0, "KiB": 10, "MiB": 20, "GiB": 30}[f[3]]
		switch f[1] {
		case "page size":
			info.PageSize = n
		case "erase size", "sector size":
			info.EraseSize = n
		case "total":
			info.Total = n
		}
	}
	if info.Total == 0 {
		return SFInfo{}, fmt.Errorf("no total size in %q", strings.TrimSpace(m[0]))
	}
	return info, nil
}

// SFOp is an `sf erase|write|read` confirmation: "SF: %zu bytes @ %#x Erased: OK".
type SFOp struct {
	Bytes  uint64
	Offset uint64
	Verb   string // Erased, Written or Read
	OK     bool
}

var reSFOp = regexp.MustCompile(`SF: (\d{1,20}) bytes @ (0x[0-9A-Fa-f]{1,16}|0) (Erased|Written|Read): (OK|ERROR)`)

// ParseSFOp reads the confirmation line for verb. found is false when the
// bootloader printed none (older trees are silent on success).
func ParseSFOp(out, verb string) (op SFOp, found bool, err error) {
	for _, m := range reSFOp.FindAllStringSubmatch(out, -1) {
		if m[3] != verb {
			continue
		}
		n, err1 := strconv.ParseUint(m[1], 10, 64)
		off, err2 := strconv.ParseUint(m[2], 0, 64)
		if err1 != nil || err2 != nil {
			return SFOp{}, true, fmt.Errorf("unreadable line %q", m[0])
		}
		return SFOp{Bytes: n, Offset: off, Verb: verb, OK: m[4] == "OK"}, true, nil
	}
	return SFOp{}, false, nil
}

// Compare is a `cmp` reply.
type Compare struct {
	// Same counts the units (bytes for cmp.b) that matched before the
	// first difference, or all of them.
	Same uint64
	// Mismatch is the first difference, nil when none.
	Mismatch *Mismatch
}

// Mismatch is "byte at 0x%08lx (%#x) != byte at 0x%08lx (%#x)".
type Mismatch struct {
	AddrA, AddrB uint64
	A, B         uint64
}

func (m *Mismatch) String() string {
	return fmt.Sprintf("%#x holds %#x but %#x holds %#x", m.AddrA, m.A, m.AddrB, m.B)
}

var (
	reCmpTotal = regexp.MustCompile(`Total of (\d{1,20}) (?:byte|halfword|word|double word)\(s\) (?:were|was) the same`)
	reCmpDiff  = regexp.MustCompile(`(?:byte|halfword|word|double word) at 0x([0-9A-Fa-f]{1,16}) \(0x([0-9A-Fa-f]{1,16})\) != (?:byte|halfword|word|double word) at 0x([0-9A-Fa-f]{1,16}) \(0x([0-9A-Fa-f]{1,16})\)`)
)

// ParseCompare reads cmp's reply.
func ParseCompare(out string) (Compare, error) {
	m := reCmpTotal.FindStringSubmatch(out)
	if m == nil {
		return Compare{}, fmt.Errorf("no %q line", "Total of N byte(s) were the same")
	}
	same, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return Compare{}, fmt.Errorf("unreadable count in %q", m[0])
	}
	c := Compare{Same: same}
	if d := reCmpDiff.FindStringSubmatch(out); d != nil {
		var v [4]uint64
		for i := range v {
			if v[i], err = strconv.ParseUint(d[i+1], 16, 64); err != nil {
				return Compare{}, fmt.Errorf("unreadable difference %q", d[0])
			}
		}
		c.Mismatch = &Mismatch{AddrA: v[0], A: v[1], AddrB: v[2], B: v[3]}
	}
	return c, nil
}

// FlashReply is what the CFI flash commands (protect, erase, cp to flash)
// reported.
type FlashReply struct {
	Sectors int // "Erased N sectors", "Un-Protected N sectors", "Protected N sectors"
	// SkippedProtected is "- Warning: N protected sectors will not be
	// erased!": those sectors keep their old content.
	SkippedProtected int
	// CopyDone is "Copy to Flash... done".
	CopyDone bool
	// Problem is the first flash error U-Boot printed ("Can't write to
	// protected Flash sectors", "Flash not Erased", "Timeout writing to
	// Flash", ...), "" if none.
	Problem string
}

var (
	reSectors  = regexp.MustCompile(`(?:Erased|Un-Protected|Protected) (\d{1,9}) sectors`)
	reSkipped  = regexp.MustCompile(`Warning: (\d{1,9}) protected sectors will not be erased`)
	reCopy     = regexp.MustCompile(`Copy to Flash\.\.\. ?(.*)`)
	flashWoes  = []string{"Can't write to protected Flash sectors", "Flash not Erased", "Timeout writing to Flash", "Outside available Flash", "General Flash Programming Error", "Flash Programming Aborted", "Can't erase unknown flash type", "not in flash", "Unknown Type of Flash", "Unknown Vendor of Flash", "Bad sector specification", "Bad address format"}
	reFlashErr = regexp.MustCompile(`Flash \S+ (?:error|timeout) at address [0-9A-Fa-f]+`)
)

// ParseFlashReply reads protect/erase/cp.b replies on CFI NOR.
func ParseFlashReply(out string) FlashReply {
	var r FlashReply
	if m := reSectors.FindStringSubmatch(out); m != nil {
		r.Sectors, _ = strconv.Atoi(m[1])
	}
	if m := reSkipped.FindStringSubmatch(out); m != nil {
		r.SkippedProtected, _ = strconv.Atoi(m[1])
	}
	if m := reCopy.FindStringSubmatch(out); m != nil {
		r.CopyDone = strings.HasPrefix(strings.TrimSpace(m[1]), "done")
	}
	first := -1
	for _, w := range flashWoes {
		if i := strings.Index(out, w); i >= 0 && (first < 0 || i < first) {
			first, r.Problem = i, w
		}
	}
	if loc := reFlashErr.FindStringIndex(out); loc != nil && (first < 0 || loc[0] < first) {
		r.Problem = out[loc[0]:loc[1]]
	}
	return r
}

// MMCOp is "MMC write: dev # 0, block # 2048, count 4096 ... 4096 blocks written: OK".
type MMCOp struct {
	Dev, Block, Count uint64
	Done              uint64
	OK                bool
}

var reMMC = regexp.MustCompile(`MMC (read|write): dev # (\d{1,9}), block # (\d{1,20}), count (\d{1,20}) \.\.\. (\d{1,20}) blocks (read|written): (OK|ERROR)`)

// ParseMMC reads mmc read/write's reply for op ("read" or "write").
func ParseMMC(out, op string) (MMCOp, error) {
	for _, m := range reMMC.FindAllStringSubmatch(out, -1) {
		if m[1] != op {
			continue
		}
		var v [4]uint64
		for i := range v {
			n, err := strconv.ParseUint(m[i+2], 10, 64)
			if err != nil {
				return MMCOp{}, fmt.Errorf("unreadable line %q", m[0])
			}
			v[i] = n
		}
		return MMCOp{Dev: v[0], Block: v[1], Count: v[2], Done: v[3], OK: m[7] == "OK"}, nil
	}
	return MMCOp{}, fmt.Errorf("no %q line", "MMC "+op+": ... blocks ...: OK")
}

// NANDOp is the last line of `nand write|read`: " 262144 bytes written: OK".
type NANDOp struct {
	Bytes uint64
	OK    bool
	// Skipped lists the bad blocks the command skipped ("Skip bad block
	// 0x%08llx", "Skipping bad block at  0x%08llx").
	Skipped []uint64
}

var (
	reNANDDone = regexp.MustCompile(`(?m)^\s*(\d{1,20}) bytes (written|read): (OK|ERROR)`)
	reNANDSkip = regexp.MustCompile(`Skip(?:ping)? bad block(?: at)?\s+0x([0-9A-Fa-f]{1,16})`)
	reNANDErr  = regexp.MustCompile(`(?m)^(?:ERROR|.*failed erase.*|.*exceeds partition or device limit.*|NAND write to offset \S+ failed.*)$`)
)

// ParseNANDOp reads nand write/read's reply for verb ("written", "read").
func ParseNANDOp(out, verb string) (NANDOp, error) {
	op := NANDOp{}
	for _, m := range reNANDSkip.FindAllStringSubmatch(out, -1) {
		if v, err := strconv.ParseUint(m[1], 16, 64); err == nil {
			op.Skipped = append(op.Skipped, v)
		}
	}
	for _, m := range reNANDDone.FindAllStringSubmatch(out, -1) {
		if m[2] != verb {
			continue
		}
		n, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return NANDOp{}, fmt.Errorf("unreadable line %q", m[0])
		}
		op.Bytes, op.OK = n, m[3] == "OK"
		return op, nil
	}
	if e := reNANDErr.FindString(out); e != "" {
		return op, fmt.Errorf("the bootloader says %q", strings.TrimSpace(e))
	}
	return op, fmt.Errorf("no %q line", "N bytes "+verb+": OK")
}

// NANDErase is `nand erase[.part]`'s reply: OK, and the bad blocks it
// skipped.
type NANDErase struct {
	OK      bool
	Skipped []uint64
	Problem string // a failure line, "" if none
}

// ParseNANDErase reads nand erase's reply.
func ParseNANDErase(out string) NANDErase {
	var r NANDErase
	for _, m := range reNANDSkip.FindAllStringSubmatch(out, -1) {
		if v, err := strconv.ParseUint(m[1], 16, 64); err == nil {
			r.Skipped = append(r.Skipped, v)
		}
	}
	if e := reNANDErr.FindString(out); e != "" {
		r.Problem = strings.TrimSpace(e)
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "OK" {
			r.OK = true
		}
	}
	return r
}
