package ubootsim

import (
	"fmt"
	"sync"
)

// RAM is the unit's memory window for loads, [Base, Base+Size). Like DRAM
// it keeps its contents across a warm reset; call Clear on power loss if
// that matters to a test.
type RAM struct {
	base uint64
	mu   sync.Mutex
	mem  []byte
}

// NewRAM makes size bytes of zeroed RAM at base.
func NewRAM(base uint64, size int) *RAM {
	return &RAM{base: base, mem: make([]byte, size)}
}

// Base is the first address.
func (r *RAM) Base() uint64 { return r.base }

// Size is the window's length.
func (r *RAM) Size() int { return len(r.mem) }

// Clear zeroes the RAM.
func (r *RAM) Clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.mem)
}

// span checks [addr, addr+n) and returns its offset in mem.
func (r *RAM) span(addr uint64, n int) (int, error) {
	if n < 0 || addr < r.base || addr-r.base > uint64(len(r.mem)) || uint64(n) > uint64(len(r.mem))-(addr-r.base) {
		return 0, fmt.Errorf("## Error: 0x%08x..+0x%x is outside RAM 0x%08x..0x%08x", addr, n, r.base, r.base+uint64(len(r.mem)))
	}
	return int(addr - r.base), nil
}

// Read copies n bytes at addr.
func (r *RAM) Read(addr uint64, n int) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	off, err := r.span(addr, n)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), r.mem[off:off+n]...), nil
}

// Write stores p at addr.
func (r *RAM) Write(addr uint64, p []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	off, err := r.span(addr, len(p))
	if err != nil {
		return err
	}
	copy(r.mem[off:], p)
	return nil
}

// Fill sets n bytes at addr to v.
func (r *RAM) Fill(addr uint64, v byte, n int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	off, err := r.span(addr, n)
	if err != nil {
		return err
	}
	for i := off; i < off+n; i++ {
		r.mem[i] = v
	}
	return nil
}
