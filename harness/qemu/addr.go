package qemu

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ParseAddr turns a QMP or serial socket address into a network and an
// address for net.Dial. It accepts a plain path, unix:///path, unix:path and
// tcp://host:port; a tcp host must be a loopback address (camrig never
// talks to anything off this machine).
func ParseAddr(s string) (network, addr string, err error) {
	switch {
	case s == "":
		return "", "", fmt.Errorf("qemu: empty socket address")
	case strings.HasPrefix(s, "unix://"):
		addr = strings.TrimPrefix(s, "unix://")
	case strings.HasPrefix(s, "unix:"):
		addr = strings.TrimPrefix(s, "unix:")
	case strings.HasPrefix(s, "tcp://"):
		hostport := strings.TrimPrefix(s, "tcp://")
		host, _, err := net.SplitHostPort(hostport)
		if err != nil {
			return "", "", fmt.Errorf("qemu: socket address %q: %v", s, err)
		}
		if host == "localhost" {
			return "tcp", hostport, nil
		}
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return "", "", fmt.Errorf("qemu: socket address %q: host must be a loopback address", s)
		}
		return "tcp", hostport, nil
	case strings.Contains(s, "://"):
		return "", "", fmt.Errorf("qemu: socket address %q: want a path, unix:///path or tcp://127.0.0.1:port", s)
	default:
		addr = s
	}
	if addr == "" {
		return "", "", fmt.Errorf("qemu: socket address %q has no path", s)
	}
	return "unix", addr, nil
}

// dial connects to a socket address, bounded by ctx.
func dial(ctx context.Context, s string) (net.Conn, error) {
	network, addr, err := ParseAddr(s)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("qemu: connect %s: %w", s, err)
	}
	return c, nil
}
