package uboottest

import (
	"bytes"
	"hash/crc32"
	"strconv"
	"strings"
)

func (u *Unit) runLine(line string) {
	u.history = append(u.history, line)
	if u.ranMore != nil {
		close(u.ranMore)
		u.ranMore = nil
	}
	rc := 0
	for _, part := range strings.Split(line, ";") {
		part = strings.TrimSpace(strings.ReplaceAll(part, "$?", strconv.Itoa(rc)))
		if part == "" {
			continue
		}
		rc = u.exec(strings.Fields(part))
		if u.st != prompt {
			return // loady, reset or a power cut took over the line
		}
	}
}

func num(s string) (uint64, bool) {
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 0, 64)
	if err != nil {
		// U-Boot reads bare numbers as hex.
		v, err = strconv.ParseUint(strings.TrimPrefix(s, "+"), 16, 64)
	}
	return v, err == nil
}

// nums parses args as numbers, printing U-Boot's usage complaint if not.
func (u *Unit) nums(args []string, n int) ([]uint64, bool) {
	if len(args) < n {
		u.print("Usage: %s\r\n", strings.Join(args, " "))
		return nil, false
	}
	out := make([]uint64, n)
	for i := range out {
		v, ok := num(args[i])
		if !ok {
			u.print("Usage: bad number %q\r\n", args[i])
			return nil, false
		}
		out[i] = v
	}
	return out, true
}

// mem maps a bus address range onto RAM or (cfi-nor) the flash.
func (u *Unit) mem(addr, n uint64) []byte {
	c := u.cfg
	switch {
	case addr >= c.RAMBase && addr+n <= c.RAMBase+uint64(c.RAMSize):
		return u.ram[addr-c.RAMBase : addr-c.RAMBase+n]
	case c.Flash == "cfi-nor" && addr >= c.FlashBase && addr+n <= c.FlashBase+uint64(c.FlashSize):
		return u.flash[addr-c.FlashBase : addr-c.FlashBase+n]
	}
	u.print("## Error: %#x+%#x is not mapped\r\n", addr, n)
	return nil
}

func (u *Unit) exec(args []string) int {
	switch args[0] {
	case "echo":
		u.print("%s\r\n", strings.Join(args[1:], " "))
	case "version":
		u.print("%s (fake)\r\n", u.cfg.Banner)
	case "printenv":
		if len(args) == 2 && args[1] == "filesize" && u.filesize > 0 {
			u.print("filesize=%x\r\n", u.filesize)
			return 0
		}
		u.print("## Error: \"%s\" not defined\r\n", strings.Join(args[1:], " "))
		return 1
	case "loady":
		return u.loady(args[1:])
	case "crc32":
		v, ok := u.nums(args[1:], 2)
		if !ok {
			return 1
		}
		m := u.mem(v[0], v[1])
		if m == nil {
			return 1
		}
		u.print("crc32 for %08x ... %08x ==> %08x\r\n", v[0], v[0]+v[1]-1, crc32.ChecksumIEEE(m))
	case "sf":
		return u.sf(args[1:])
	case "protect":
		return u.protect(args[1:])
	case "erase":
		return u.erase(args[1:])
	case "cp.b":
		return u.cp(args[1:])
	case "cmp.b":
		return u.cmp(args[1:])
	case "mmc":
		return u.mmc(args[1:])
	case "reset":
		u.print("resetting ...\r\n")
		u.powerOnLocked()
	default:
		u.print("Unknown command '%s' - try 'help'\r\n", args[0])
		return 1
	}
	return 0
}

func (u *Unit) loady(args []string) int {
	v, ok := u.nums(args, 1)
	if !ok {
		return 1
	}
	u.rx = &receiver{addr: v[0]}
	u.loadBaud = u.curBaud
	if len(args) > 1 {
		b, err := strconv.Atoi(args[1])
		if err != nil || b <= 0 {
			u.print("## Error: bad baud rate %q\r\n", args[1])
			return 1
		}
		u.loadBaud = b
	}
	if u.loadBaud != u.curBaud {
		u.print("## Switch baudrate to %d bps and press ENTER ...\r\n", u.loadBaud)
		if u.cfg.MaxBaud > 0 && u.loadBaud > u.cfg.MaxBaud {
			u.st = dead
			return 1
		}
		u.st = waitKey
		return 0
	}
	u.startLoad()
	return 0
}

func (u *Unit) startLoad() {
	u.print("## Ready for binary (ymodem) download to 0x%08X at %d bps...\r\n", u.rx.addr, u.loadBaud)
	u.st = loading
	u.dev.Print("C")
}

// switchKey handles the ENTER before and the ESC after a loady at another
// rate; the key only counts if the harness switched its side too.
func (u *Unit) switchKey(b byte) {
	switch {
	case u.rx != nil && b == '\r':
		u.startLoad()
	case u.rx == nil && b == 0x1b:
		u.st = prompt
		u.print("%s", u.cfg.Prompt)
	}
}

// loadDone ends a transfer, successful or not, the way U-Boot does.
func (u *Unit) loadDone(data []byte, aborted bool) {
	addr := u.rx.addr
	u.rx = nil
	if aborted {
		u.print("## Binary (ymodem) download aborted\r\n")
	} else {
		if m := u.mem(addr, uint64(len(data))); m != nil {
			copy(m, data)
			if u.CorruptLoads > 0 && len(m) > 0 {
				u.CorruptLoads--
				m[len(m)/2] ^= 0x40
			}
		}
		u.filesize = len(data)
		u.print("## Total Size      = 0x%08x = %d Bytes\r\n## Start Addr      = 0x%08X\r\n", len(data), len(data), addr)
	}
	if u.loadBaud != u.curBaud {
		u.print("## Switch baudrate to %d bps and press ESC ...\r\n", u.curBaud)
		u.loadBaud = u.curBaud
		u.st = waitKey
		return
	}
	u.st = prompt
	u.print("%s", u.cfg.Prompt)
}

// program writes NOR-style: bits only go from 1 to 0. It honours
// CutOnWrite by programming half and dying.
func (u *Unit) program(dst, src []byte) bool {
	n := len(src)
	if u.CutOnWrite {
		u.CutOnWrite = false
		n /= 2
	}
	for i := 0; i < n; i++ {
		dst[i] &= src[i]
	}
	if n < len(src) {
		u.st = dead // power lost mid-write: silence until the next power-on
		clear(u.ram)
		return false
	}
	return true
}

func (u *Unit) sf(args []string) int {
	if len(args) == 0 {
		u.print("Usage: sf probe|erase|write|read\r\n")
		return 1
	}
	if u.cfg.Flash != "spi-nor" {
		u.print("No SPI flash selected. Please run `sf probe'\r\n")
		return 1
	}
	switch args[0] {
	case "probe":
		u.print("SF: Detected fake25 with page size 256 Bytes, erase size %d KiB, total %d MiB\r\n", u.cfg.EraseSize>>10, u.cfg.FlashSize>>20)
	case "erase":
		v, ok := u.nums(args[1:], 2)
		if !ok {
			return 1
		}
		if v[0]%uint64(u.cfg.EraseSize) != 0 || v[1]%uint64(u.cfg.EraseSize) != 0 || v[0]+v[1] > uint64(u.cfg.FlashSize) {
			u.print("SF: Erase offset/length not multiple of erase size\r\n")
			return 1
		}
		copy(u.flash[v[0]:v[0]+v[1]], bytes.Repeat([]byte{0xff}, int(v[1])))
		u.print("SF: %d bytes @ %#x Erased: OK\r\n", v[1], v[0])
	case "write", "read":
		v, ok := u.nums(args[1:], 3)
		if !ok {
			return 1
		}
		m := u.mem(v[0], v[2])
		if m == nil || v[1]+v[2] > uint64(u.cfg.FlashSize) {
			return 1
		}
		fl := u.flash[v[1] : v[1]+v[2]]
		u.print("device 0 offset %#x, size %#x\r\n", v[1], v[2])
		if args[0] == "read" {
			copy(m, fl)
			u.print("SF: %d bytes @ %#x Read: OK\r\n", v[2], v[1])
			return 0
		}
		if !u.program(fl, m) {
			return 1
		}
		u.print("SF: %d bytes @ %#x Written: OK\r\n", v[2], v[1])
	default:
		u.print("Usage: sf probe|erase|write|read\r\n")
		return 1
	}
	return 0
}

// sectors maps a cfi-nor bus range to sector indexes.
func (u *Unit) sectors(addr, n uint64) (first, last int, ok bool) {
	c := u.cfg
	if c.Flash != "cfi-nor" || addr < c.FlashBase || addr+n > c.FlashBase+uint64(c.FlashSize) || n == 0 {
		u.print("Error: end address (%#x) not in flash!\r\n", addr+n-1)
		return 0, 0, false
	}
	es := uint64(c.EraseSize)
	return int((addr - c.FlashBase) / es), int((addr - c.FlashBase + n - 1) / es), true
}

func (u *Unit) protect(args []string) int {
	if len(args) != 3 || (args[0] != "on" && args[0] != "off") {
		u.print("Usage: protect on|off addr +len\r\n")
		return 1
	}
	v, ok := u.nums(args[1:], 2)
	if !ok {
		return 1
	}
	a, b, ok := u.sectors(v[0], v[1])
	if !ok {
		return 1
	}
	for i := a; i <= b; i++ {
		u.protected[i] = args[0] == "on"
	}
	if args[0] == "on" {
		u.print("Protected %d sectors\r\n", b-a+1)
	} else {
		u.print("Un-Protected %d sectors\r\n", b-a+1)
	}
	return 0
}

func (u *Unit) erase(args []string) int {
	v, ok := u.nums(args, 2)
	if !ok {
		return 1
	}
	a, b, ok := u.sectors(v[0], v[1])
	if !ok {
		return 1
	}
	skipped := 0
	es := u.cfg.EraseSize
	for i := a; i <= b; i++ {
		if u.protected[i] {
			skipped++
			continue
		}
		copy(u.flash[i*es:(i+1)*es], bytes.Repeat([]byte{0xff}, es))
	}
	if skipped > 0 {
		u.print("- Warning: %d protected sectors will not be erased!\r\n", skipped)
	}
	u.print("\r\n%s done\r\nErased %d sectors\r\n", strings.Repeat(".", b-a+1-skipped), b-a+1)
	return 0
}

func (u *Unit) cp(args []string) int {
	v, ok := u.nums(args, 3)
	if !ok {
		return 1
	}
	src := u.mem(v[0], v[2])
	if src == nil {
		return 1
	}
	c := u.cfg
	if c.Flash == "cfi-nor" && v[1] >= c.FlashBase && v[1] < c.FlashBase+uint64(c.FlashSize) {
		u.print("Copy to Flash... ")
		a, b, ok := u.sectors(v[1], v[2])
		if !ok {
			return 1
		}
		for i := a; i <= b; i++ {
			if u.protected[i] {
				u.print("Can't write to protected Flash sectors\r\n")
				return 1
			}
		}
		if !u.program(u.mem(v[1], v[2]), src) {
			return 1
		}
		u.print("done\r\n")
		return 0
	}
	dst := u.mem(v[1], v[2])
	if dst == nil {
		return 1
	}
	copy(dst, src)
	return 0
}

func (u *Unit) cmp(args []string) int {
	v, ok := u.nums(args, 3)
	if !ok {
		return 1
	}
	a, b := u.mem(v[0], v[2]), u.mem(v[1], v[2])
	if a == nil || b == nil {
		return 1
	}
	i := 0
	for i < len(a) && a[i] == b[i] {
		i++
	}
	if i < len(a) {
		u.print("byte at 0x%08x (%#x) != byte at 0x%08x (%#x)\r\n", v[0]+uint64(i), a[i], v[1]+uint64(i), b[i])
	}
	u.print("Total of %d byte(s) were the same\r\n", i)
	if i < len(a) {
		return 1
	}
	return 0
}

// mmc is `mmc write|read addr blk cnt` on an eMMC whose user area is the
// flash buffer, in 512-byte blocks, with U-Boot's replies.
func (u *Unit) mmc(args []string) int {
	if u.cfg.Flash != "mmc" || len(args) != 4 || (args[0] != "write" && args[0] != "read") {
		u.print("Usage: mmc read|write addr blk# cnt\r\n")
		return 1
	}
	v, ok := u.nums(args[1:], 3)
	if !ok {
		return 1
	}
	addr, blk, cnt := v[0], v[1], v[2]
	u.print("\r\nMMC %s: dev # 0, block # %d, count %d ... ", args[0], blk, cnt)
	if (blk+cnt)*512 > uint64(len(u.flash)) {
		u.print("0 blocks %s: ERROR\r\n", map[string]string{"read": "read", "write": "written"}[args[0]])
		return 1
	}
	ram := u.mem(addr, cnt*512)
	if ram == nil {
		return 1
	}
	dev := u.flash[blk*512 : (blk+cnt)*512]
	if args[0] == "write" {
		copy(dev, ram)
		u.print("%d blocks written: OK\r\n", cnt)
	} else {
		copy(ram, dev)
		u.print("%d blocks read: OK\r\n", cnt)
	}
	return 0
}
