package nvr

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/camrig/camrig/harness/internal/isapihttp"
)

// Source is a channel's sourceInputPortDescriptor: where the NVR pulls the
// camera from.
type Source struct {
	ProxyProtocol string
	IPAddress     string
	// ManagePort is managePortNo (the SDK port, 8000), 0 if absent.
	ManagePort int
	// SrcInputPort is the camera's own input number (1 for a single
	// camera), 0 if absent.
	SrcInputPort int
	UserName     string
	StreamType   string
}

// Channel is one <InputProxyChannel>.
type Channel struct {
	ID     int
	Name   string
	Source Source
}

// ChannelStatus is one <InputProxyChannelStatus>.
type ChannelStatus struct {
	ID     int
	Online bool
	// Detect is chanDetectResult (connect, errorUserNameOrPasswd,
	// netUnreachable, ...).
	Detect string
	Source Source
}

type sourceXML struct {
	ProxyProtocol string `xml:"proxyProtocol"`
	IPAddress     string `xml:"ipAddress"`
	ManagePortNo  string `xml:"managePortNo"`
	SrcInputPort  string `xml:"srcInputPort"`
	UserName      string `xml:"userName"`
	StreamType    string `xml:"streamType"`
}

type channelXML struct {
	ID     *string    `xml:"id"`
	Name   string     `xml:"name"`
	Source *sourceXML `xml:"sourceInputPortDescriptor"`
}

type channelListXML struct {
	Channels []channelXML `xml:"InputProxyChannel"`
}

type statusXML struct {
	ID     *string    `xml:"id"`
	Online *string    `xml:"online"`
	Detect *string    `xml:"chanDetectResult"`
	Source *sourceXML `xml:"sourceInputPortDescriptor"`
}

type statusListXML struct {
	Items []statusXML `xml:"InputProxyChannelStatus"`
}

// maxChannels bounds a list; NVRs have at most a few hundred channels.
const maxChannels = 512

func parseID(s *string, seen map[int]bool) (int, error) {
	if s == nil {
		return 0, errors.New("channel without <id>")
	}
	id, err := isapihttp.ParseInt("id", *s)
	if err != nil {
		return 0, err
	}
	if id < 1 {
		return 0, fmt.Errorf("channel id %d: ids start at 1", id)
	}
	if seen[id] {
		return 0, fmt.Errorf("channel id %d listed twice", id)
	}
	seen[id] = true
	return id, nil
}

func parseSource(x *sourceXML) (Source, error) {
	if x == nil {
		return Source{}, nil
	}
	t := strings.TrimSpace
	s := Source{ProxyProtocol: t(x.ProxyProtocol), IPAddress: t(x.IPAddress), UserName: t(x.UserName), StreamType: t(x.StreamType)}
	var err error
	if v := t(x.ManagePortNo); v != "" {
		if s.ManagePort, err = isapihttp.ParseInt("managePortNo", v); err != nil {
			return s, err
		}
		if s.ManagePort < 0 || s.ManagePort > 65535 {
			return s, fmt.Errorf("managePortNo %d out of range", s.ManagePort)
		}
	}
	if v := t(x.SrcInputPort); v != "" {
		if s.SrcInputPort, err = isapihttp.ParseInt("srcInputPort", v); err != nil {
			return s, err
		}
		if s.SrcInputPort < 0 {
			return s, fmt.Errorf("srcInputPort %d is negative", s.SrcInputPort)
		}
	}
	return s, nil
}

// ParseChannelList parses an <InputProxyChannelList>; ids must be
// positive and unique.
func ParseChannelList(body []byte) ([]Channel, error) {
	var x channelListXML
	if _, err := isapihttp.Decode(body, "InputProxyChannelList", &x); err != nil {
		return nil, err
	}
	if len(x.Channels) > maxChannels {
		return nil, fmt.Errorf("%d channels listed, more than %d", len(x.Channels), maxChannels)
	}
	seen := map[int]bool{}
	out := make([]Channel, 0, len(x.Channels))
	for _, c := range x.Channels {
		id, err := parseID(c.ID, seen)
		if err != nil {
			return nil, err
		}
		src, err := parseSource(c.Source)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", id, err)
		}
		out = append(out, Channel{ID: id, Name: strings.TrimSpace(c.Name), Source: src})
	}
	return out, nil
}

var detectRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,63}$`)

// ParseChannelStatusList parses an <InputProxyChannelStatusList>; each
// entry needs id, online (true/false) and a chanDetectResult token.
func ParseChannelStatusList(body []byte) ([]ChannelStatus, error) {
	var x statusListXML
	if _, err := isapihttp.Decode(body, "InputProxyChannelStatusList", &x); err != nil {
		return nil, err
	}
	if len(x.Items) > maxChannels {
		return nil, fmt.Errorf("%d channels listed, more than %d", len(x.Items), maxChannels)
	}
	seen := map[int]bool{}
	out := make([]ChannelStatus, 0, len(x.Items))
	for _, s := range x.Items {
		id, err := parseID(s.ID, seen)
		if err != nil {
			return nil, err
		}
		if s.Online == nil {
			return nil, fmt.Errorf("channel %d: no <online>", id)
		}
		online, err := isapihttp.ParseBool("online", *s.Online)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", id, err)
		}
		if s.Detect == nil {
			return nil, fmt.Errorf("channel %d: no <chanDetectResult>", id)
		}
		detect := strings.TrimSpace(*s.Detect)
		if !detectRE.MatchString(detect) {
			return nil, fmt.Errorf("channel %d: chanDetectResult %q is not a result token", id, clip(detect))
		}
		src, err := parseSource(s.Source)
		if err != nil {
			return nil, fmt.Errorf("channel %d: %w", id, err)
		}
		out = append(out, ChannelStatus{ID: id, Online: online, Detect: detect, Source: src})
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
