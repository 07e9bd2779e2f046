package ubootsim_test

import (
	"bytes"
	"hash/crc32"
	"strings"
	"testing"
)

func TestMemoryCommands(t *testing.T) {
	r := newRig(t, w25q128)
	data := bytes.Repeat([]byte("camrig"), 100)
	if err := r.ram.Write(ramBase, data); err != nil {
		t.Fatal(err)
	}
	want := crc32.ChecksumIEEE(data)
	cases := []struct {
		args []string
		out  string
		fail bool
	}{
		{[]string{"crc32", "82000000", "258"}, "CRC32 for 82000000 ... 82000257 ==> " + hex8(want) + "\r\n", false},
		{[]string{"crc32", "0x82000000", "0x258"}, "CRC32 for 82000000 ... 82000257 ==> " + hex8(want) + "\r\n", false},
		{[]string{"crc32", "82000000"}, "Usage:\r\ncrc32 address count\r\n    - compute CRC32 checksum\r\n", true},
		{[]string{"crc32", "zz", "10"}, "Usage:", true},
		{[]string{"mw.b", "82100000", "ff", "10"}, "", false},
		{[]string{"mw.b", "82100010", "5"}, "", false},
		{[]string{"cmp.b", "82000000", "82000000", "258"}, "Total of 600 byte(s) were the same\r\n", false},
		{[]string{"cmp.b", "82100000", "82100010", "2"}, "byte at 0x82100000 (0xff) != byte at 0x82100010 (0x5)\r\nTotal of 0 byte(s) were the same\r\n", true},
		{[]string{"cmp.b", "82100000", "82200000", "1"}, "byte at 0x82100000 (0xff) != byte at 0x82200000 (00)\r\nTotal of 0 byte(s) were the same\r\n", true},
		{[]string{"crc32", "10", "10"}, "## Error: 0x00000010..+0x10 is outside RAM", true},
	}
	for _, c := range cases {
		io := newBufIO()
		err := r.run(t, io, c.args...)
		if (err != nil) != c.fail || !strings.HasPrefix(io.output(), c.out) {
			t.Errorf("%v: err %v, output %q, want %q", c.args, err, io.output(), c.out)
		}
	}
	if b, _ := r.ram.Read(0x82100000, 17); !bytes.Equal(b, append(bytes.Repeat([]byte{0xff}, 16), 5)) {
		t.Errorf("mw.b wrote % x", b)
	}
}

func hex8(v uint32) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = digits[v&15]
		v >>= 4
	}
	return string(b)
}
