package console

import (
	"fmt"
	"path/filepath"
	"strings"
)

// endpointFor turns a Config's Port into a way to open it.
func endpointFor(cfg Config, o options) (endpoint, error) {
	name := cfg.Port
	scheme, rest, ok := strings.Cut(name, "://")
	if !ok {
		return serialEndpoint(cfg), nil
	}
	switch scheme {
	case "tcp":
		addr, err := loopbackHostPort(name, rest)
		if err != nil {
			return endpoint{}, err
		}
		return socketEndpoint(name, "tcp", addr, ""), nil
	case "unix":
		if !filepath.IsAbs(rest) {
			return endpoint{}, fmt.Errorf("console %s: want unix:///absolute/path", name)
		}
		return socketEndpoint(name, "unix", rest, rest), nil
	case "rfc2217":
		addr, err := loopbackHostPort(name, rest)
		if err != nil {
			return endpoint{}, err
		}
		return rfc2217Endpoint(name, addr, cfg, o.clk), nil
	}
	return endpoint{}, fmt.Errorf("console %s: unknown scheme %q: want a tty path, tcp://, unix:// or rfc2217://", name, scheme)
}
