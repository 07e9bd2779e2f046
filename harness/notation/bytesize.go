package notation

import (
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ByteSize is a size or address written as 16MiB, 64KiB, 0x80000 or 4096.
type ByteSize uint64

var units = []struct {
	suffix string
	mult   uint64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// ParseByteSize parses the forms ByteSize accepts.
func ParseByteSize(s string) (ByteSize, error) {
	s = strings.TrimSpace(s)
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(num), 0, 64)
			if err != nil || (n != 0 && n*u.mult/n != u.mult) {
				return 0, fmt.Errorf("size %q: want a number like 16MiB, 64KiB or 0x10000", s)
			}
			return ByteSize(n * u.mult), nil
		}
	}
	n, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, fmt.Errorf("size %q: want a number like 16MiB, 64KiB or 0x10000", s)
	}
	return ByteSize(n), nil
}

// UnmarshalYAML accepts a scalar in any ParseByteSize form.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a size like 16MiB", n.Line)
	}
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %v", n.Line, err)
	}
	*b = v
	return nil
}

func (b ByteSize) String() string {
	for _, u := range units[:3] {
		if uint64(b) >= u.mult && uint64(b)%u.mult == 0 {
			return fmt.Sprintf("%d%s", uint64(b)/u.mult, u.suffix)
		}
	}
	return fmt.Sprintf("%dB", uint64(b))
}
