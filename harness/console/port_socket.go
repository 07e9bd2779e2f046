package console

import (
	"context"
	"fmt"
	"net"
	"strings"
)

// connPort is a stream socket: qemu's `-serial tcp:...,server` or
// `-serial unix:...,server`, ser2net in raw mode. It has no line rate.
type connPort struct{ net.Conn }

func socketEndpoint(name, network, addr, watch string) endpoint {
	dial := func(ctx context.Context) (Port, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, fmt.Errorf("console %s: %w", name, err)
		}
		return connPort{c}, nil
	}
	return endpoint{name: name, dial: dial, watch: watch}
}

// loopbackHostPort checks that hostport names a loopback address and
// returns it with "localhost" pinned to 127.0.0.1 (no resolver involved:
// camrig talks to nothing beyond this host).
func loopbackHostPort(name, hostport string) (string, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return "", fmt.Errorf("console %s: %w", name, err)
	}
	if port == "" {
		return "", fmt.Errorf("console %s: no port number", name)
	}
	if strings.EqualFold(host, "localhost") {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("console %s: %q is not a loopback address (only 127.0.0.0/8 and ::1 are allowed)", name, host)
	}
	return net.JoinHostPort(ip.String(), port), nil
}
