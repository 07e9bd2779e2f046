package console

import (
	"fmt"
	"strings"
)

// Config is a unit's console binding from the rig file.
type Config struct {
	// Port is a tty path (/dev/ttyUSB0, a symlink in the virtual rig's state
	// directory), tcp://host:port, unix:///path or rfc2217://host:port.
	// Network forms must name a loopback address.
	Port string `yaml:"port"`
	// Baud defaults to 115200.
	Baud int `yaml:"baud"`
	// DataBits is 5..8, default 8.
	DataBits int `yaml:"data_bits"`
	// Parity is none (default), odd, even, mark or space (or n/o/e/m/s).
	Parity string `yaml:"parity"`
	// StopBits is 1 (default) or 2.
	StopBits int `yaml:"stop_bits"`
}

// Parity values after normalisation.
const (
	ParityNone  = "none"
	ParityOdd   = "odd"
	ParityEven  = "even"
	ParityMark  = "mark"
	ParitySpace = "space"
)

// withDefaults returns c with zero fields set to 115200 8N1 and Parity
// spelled out, or an error naming the bad field.
func (c Config) withDefaults() (Config, error) {
	if c.Port == "" {
		return c, fmt.Errorf("console: no port given")
	}
	if c.Baud == 0 {
		c.Baud = 115200
	}
	if c.Baud < 0 {
		return c, fmt.Errorf("console %s: baud %d must be positive", c.Port, c.Baud)
	}
	if c.DataBits == 0 {
		c.DataBits = 8
	}
	if c.DataBits < 5 || c.DataBits > 8 {
		return c, fmt.Errorf("console %s: data_bits %d: want 5, 6, 7 or 8", c.Port, c.DataBits)
	}
	if c.StopBits == 0 {
		c.StopBits = 1
	}
	if c.StopBits != 1 && c.StopBits != 2 {
		return c, fmt.Errorf("console %s: stop_bits %d: want 1 or 2", c.Port, c.StopBits)
	}
	p, err := normParity(c.Parity)
	if err != nil {
		return c, fmt.Errorf("console %s: %w", c.Port, err)
	}
	c.Parity = p
	return c, nil
}

func normParity(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "n", "none":
		return ParityNone, nil
	case "o", "odd":
		return ParityOdd, nil
	case "e", "even":
		return ParityEven, nil
	case "m", "mark":
		return ParityMark, nil
	case "s", "space":
		return ParitySpace, nil
	}
	return "", fmt.Errorf("parity %q: want none, odd, even, mark or space", s)
}

// Framing renders the line settings the usual way, e.g. "115200 8N1".
func (c Config) Framing() string {
	p := "N"
	if c.Parity != "" {
		p = strings.ToUpper(c.Parity[:1])
	}
	return fmt.Sprintf("%d %d%s%d", c.Baud, c.DataBits, p, c.StopBits)
}
