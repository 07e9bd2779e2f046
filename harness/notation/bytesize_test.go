package notation

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{
		"16MiB": 16 << 20, "64KiB": 64 << 10, "0x80000": 0x80000, "4096": 4096,
		"1GiB": 1 << 30, " 8 MiB ": 8 << 20, "256B": 256, "0x10KiB": 16 << 10,
	} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("%q = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "MiB", "12XB", "-1", "1.5MiB", "99999999999999999999GiB", "17179869184GiB"} {
		if got, err := ParseByteSize(in); err == nil {
			t.Errorf("%q accepted as %v", in, got)
		}
	}
}

func TestByteSizeYAML(t *testing.T) {
	var v struct {
		Size ByteSize `yaml:"size"`
	}
	if err := yaml.Unmarshal([]byte("size: 64KiB\n"), &v); err != nil || v.Size != 64<<10 {
		t.Fatalf("size = %v, %v", v.Size, err)
	}
	err := yaml.Unmarshal([]byte("x: 1\nsize: lots\n"), &v)
	if err == nil || err.Error() != `line 2: size "lots": want a number like 16MiB, 64KiB or 0x10000` {
		t.Fatalf("err = %v", err)
	}
	if err := yaml.Unmarshal([]byte("size: [1]\n"), &v); err == nil {
		t.Fatal("a list accepted as a size")
	}
}

func TestByteSizeString(t *testing.T) {
	for b, want := range map[ByteSize]string{16 << 20: "16MiB", 64 << 10: "64KiB", 1 << 30: "1GiB", 4097: "4097B", 0: "0B"} {
		if got := b.String(); got != want {
			t.Errorf("%d: %q, want %q", uint64(b), got, want)
		}
	}
}

// FuzzParseByteSize: any text either fails or parses to a size whose
// String form parses back to the same size.
func FuzzParseByteSize(f *testing.F) {
	for _, s := range []string{"16MiB", "0x80000", "4096", "1GiB", "12XB", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseByteSize(s)
		if err != nil {
			return
		}
		back, err := ParseByteSize(b.String())
		if err != nil || back != b {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, uint64(b), b.String(), uint64(back), err)
		}
	})
}
