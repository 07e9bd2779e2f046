package ubootsim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

var errNumber = errors.New("not a number")

// parseHex reads a U-Boot hex argument: optional 0x/0X, then hex digits
// and nothing else.
func parseHex(s string) (uint64, error) {
	t := s
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		t = t[2:]
	}
	if t == "" || strings.HasPrefix(t, "+") {
		return 0, fmt.Errorf("%q: %w", s, errNumber)
	}
	v, err := strconv.ParseUint(t, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, errNumber)
	}
	return v, nil
}

// parseDec reads a decimal argument.
func parseDec(s string) (uint64, error) {
	if s == "" || s[0] == '+' {
		return 0, fmt.Errorf("%q: %w", s, errNumber)
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, errNumber)
	}
	return v, nil
}

// cAltHex is C's printf("%#x", v): no prefix for zero.
func cAltHex(v uint64) string {
	if v == 0 {
		return "0"
	}
	return "0x" + strconv.FormatUint(v, 16)
}

// cAltHexWidth is C's printf("%#0*x", w, v): zero padded to w characters
// including the 0x prefix, which zero does not get.
func cAltHexWidth(v uint64, w int) string {
	digits := strconv.FormatUint(v, 16)
	prefix := "0x"
	if v == 0 {
		prefix = ""
	}
	if pad := w - len(prefix) - len(digits); pad > 0 {
		digits = strings.Repeat("0", pad) + digits
	}
	return prefix + digits
}

// printSize is U-Boot's print_size: "256 Bytes", "64 KiB", "16 MiB" (with
// one decimal when not whole, e.g. "1.5 KiB").
func printSize(n uint64) string {
	units := []string{"Bytes", "KiB", "MiB", "GiB", "TiB"}
	i, div := 0, uint64(1)
	for i+1 < len(units) && n >= div<<10 {
		div <<= 10
		i++
	}
	whole := n / div
	rest := n % div
	if rest == 0 || i == 0 {
		return fmt.Sprintf("%d %s", whole, units[i])
	}
	tenth := (rest*10 + div/2) / div
	if tenth >= 10 {
		return fmt.Sprintf("%d %s", whole+1, units[i])
	}
	return fmt.Sprintf("%d.%d %s", whole, tenth, units[i])
}
