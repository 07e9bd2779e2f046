// Package nvr is the harness's client for the NVR a unit is plugged into
// (Hikvision ISAPI): its proxied channels, their status, and which PoE
// port feeds which channel. A reset that should hand the unit back to the
// NVR is proven here: the port's channel is online and connected again.
//
// Calls share the camera client's plumbing: a deadline per call on the
// injected clock, bounded bodies, strict XML in both namespaces, Digest
// auth, typed errors (ErrJunk, ErrUnauthorized, ErrLocked, *StatusError).
package nvr

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/isapihttp"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
)

// Typed errors (shared with harness/camera).
var (
	ErrJunk         = isapihttp.ErrJunk
	ErrUnauthorized = isapihttp.ErrUnauthorized
	ErrLocked       = isapihttp.ErrLocked
	// ErrNoChannel: the NVR has no channel for the port (no unit was ever
	// seen on it).
	ErrNoChannel = errors.New("no channel for the PoE port")
)

type (
	// StatusError is a ResponseStatus refusal.
	StatusError = isapihttp.StatusError
	// JunkError is an unparsable or malformed reply.
	JunkError = isapihttp.JunkError
)

// chanDetectResult values the harness asserts on (the NVR may report
// others: connecting, notExist, ipcStreamFail, ipAddrConflictWithDev,
// unknownError, ...).
const (
	DetectConnect        = "connect"
	DetectConnecting     = "connecting"
	DetectBadPassword    = "errorUserNameOrPasswd"
	DetectNetUnreachable = "netUnreachable"
	DetectNotExist       = "notExist"
)

// maxBody bounds a channel list (64 channels are a few tens of KiB).
const maxBody = 1 << 20

// Config says where the NVR's API is.
type Config struct {
	// Name is used in errors (default "nvr").
	Name     string
	URL      string
	User     string
	Password secret.Secret
	Clock    clock.Clock
	Timeout  time.Duration
	Log      *slog.Logger
	Timeline *timeline.Timeline
	// PortChannels maps a PoE port to its channel id where the NVR does
	// not follow the usual "channel N is PoE port N".
	PortChannels map[int]int
	// Transport replaces the default transport (tests).
	Transport http.RoundTripper
}

// Client talks to one NVR.
type Client struct {
	h     *isapihttp.Client
	ports map[int]int
}

// New returns a client; nothing is sent until a call.
func New(cfg Config) (*Client, error) {
	if cfg.Name == "" {
		cfg.Name = "nvr"
	}
	peer := cfg.Name + " " + isapihttp.SafeURL(cfg.URL)
	if cfg.User == "" {
		return nil, fmt.Errorf("%s: no API user configured", peer)
	}
	for port, ch := range cfg.PortChannels {
		if port < 1 || ch < 1 {
			return nil, fmt.Errorf("%s: PoE port %d -> channel %d: both must be >= 1", peer, port, ch)
		}
	}
	h, err := isapihttp.New(isapihttp.Config{
		Peer: peer, URL: cfg.URL, User: cfg.User, Password: cfg.Password,
		Clock: cfg.Clock, Timeout: cfg.Timeout, MaxBody: maxBody, Log: cfg.Log, Timeline: cfg.Timeline,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, err
	}
	return &Client{h: h, ports: cfg.PortChannels}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.h.Close() }

// String names the NVR.
func (c *Client) String() string { return c.h.Peer() }

func (c *Client) get(ctx context.Context, path string, parse func([]byte) error) error {
	resp, err := c.h.Do(ctx, isapihttp.Request{Method: http.MethodGet, Path: path, Auth: true})
	if err != nil {
		return err
	}
	return c.h.Decode(resp, parse)
}

// Channels reads GET /ISAPI/ContentMgmt/InputProxy/channels.
func (c *Client) Channels(ctx context.Context) ([]Channel, error) {
	var out []Channel
	err := c.get(ctx, "/ISAPI/ContentMgmt/InputProxy/channels", func(b []byte) (err error) {
		out, err = ParseChannelList(b)
		return err
	})
	return out, err
}

// Status reads GET /ISAPI/ContentMgmt/InputProxy/channels/status.
func (c *Client) Status(ctx context.Context) ([]ChannelStatus, error) {
	var out []ChannelStatus
	err := c.get(ctx, "/ISAPI/ContentMgmt/InputProxy/channels/status", func(b []byte) (err error) {
		out, err = ParseChannelStatusList(b)
		return err
	})
	return out, err
}

// ChannelForPort is the channel id PoE port feeds: PortChannels if set,
// else the port number (Hikvision NVRs bind PoE port N to channel N).
func (c *Client) ChannelForPort(port int) int {
	if ch, ok := c.ports[port]; ok {
		return ch
	}
	return port
}

// PortStatus is the channel a PoE port feeds and its status.
type PortStatus struct {
	Port int
	ChannelStatus
}

// Port returns the status of the channel port feeds, or an error that
// errors.Is ErrNoChannel when the NVR has none.
func (c *Client) Port(ctx context.Context, port int) (PortStatus, error) {
	if port < 1 {
		return PortStatus{}, fmt.Errorf("%s: PoE port %d: ports start at 1", c.h.Peer(), port)
	}
	sts, err := c.Status(ctx)
	if err != nil {
		return PortStatus{}, err
	}
	id := c.ChannelForPort(port)
	for _, s := range sts {
		if s.ID == id {
			return PortStatus{Port: port, ChannelStatus: s}, nil
		}
	}
	ids := make([]int, 0, len(sts))
	for _, s := range sts {
		ids = append(ids, s.ID)
	}
	sort.Ints(ids)
	return PortStatus{}, fmt.Errorf("%s: PoE port %d (channel %d): %w (channels: %v)", c.h.Peer(), port, id, ErrNoChannel, ids)
}
