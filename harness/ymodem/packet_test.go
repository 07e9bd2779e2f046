package ymodem_test

import (
	"testing"

	"github.com/camrig/camrig/harness/ymodem"
)

func TestCRC16AndChecksum(t *testing.T) {
	cases := []struct {
		in   string
		crc  uint16
		csum byte
	}{
		{"", 0x0000, 0},
		{"123456789", 0x31C3, 0xDD}, // CRC-16/XMODEM check value
		{"A", 0x58E5, 0x41},
	}
	for _, c := range cases {
		if got := ymodem.CRC16([]byte(c.in)); got != c.crc {
			t.Errorf("CRC16(%q) = %04X, want %04X", c.in, got, c.crc)
		}
		if got := ymodem.Checksum([]byte(c.in)); got != c.csum {
			t.Errorf("Checksum(%q) = %02X, want %02X", c.in, got, c.csum)
		}
	}
}
