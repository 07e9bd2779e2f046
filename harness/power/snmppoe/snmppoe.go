package snmppoe

// Driver "snmp-poe": one PoE port of a managed switch, through the standard
// POWER-ETHERNET-MIB (RFC 3621) over SNMP v2c.
//
//	power: {driver: snmp-poe, url: udp://192.168.1.2:161, group: 1, channel: 7,
//	        community_env: POE_COMMUNITY, timeout: 3s, retries: 2}
//
// Set writes pethPsePortAdminEnable (1.3.6.1.2.1.105.1.1.1.3.<group>.<port>,
// true(1) / false(2)) and returns once the agent acknowledged the write (a
// port then needs a moment for detection and classification before power
// flows). Get reads pethPsePortDetectionStatus (.6.<group>.<port>): on means
// deliveringPower(3); disabled(1) and searching(2) are off; fault(4),
// test(5) and otherFault(6) are errors naming the status.
//
// url is udp://host[:port] (161 by default) or tcp://host[:port]; group
// defaults to 1 and channel is the port index (>= 1). The write community
// comes from community_env, or else password_env / password_file; it is
// never logged nor put in an error.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/power"
	"github.com/camrig/camrig/harness/power/netdevice"
	"github.com/camrig/camrig/harness/secret"
)

func init() {
	power.Register(power.Driver{
		Name: "snmp-poe",
		Open: func(ctx context.Context, cfg power.Config, deps power.Deps) (power.Switch, error) {
			return NewSNMPPoE(cfg, deps)
		},
		Check: checkSNMPPoE,
	})
}

func checkSNMPPoE(cfg power.Config, scope bindcheck.Scope) bindcheck.Problems {
	var ps bindcheck.Problems
	if _, host, _, err := parseAgentURL(cfg.URL); err != nil {
		ps.Err("url", err)
	} else {
		ps.Err("url", bindcheck.Loopback(host, scope))
	}
	if cfg.Group < 0 {
		ps.Add("group", "group %d: want 1 or more (0 means 1)", cfg.Group)
	}
	if cfg.Channel < 1 {
		ps.Add("channel", "channel (port) %d: want 1 or more", cfg.Channel)
	}
	if cfg.CommunityEnv == "" && cfg.Password().IsZero() {
		ps.Add("", "the snmp-poe driver needs community_env (or password_env / password_file)")
	}
	netdevice.CheckBudget(&ps, cfg)
	return ps
}

// parseAgentURL reads udp://host[:port] or tcp://host[:port] (161 by
// default). Errors never echo a credential.
func parseAgentURL(raw string) (transport, host string, port uint16, err error) {
	if raw == "" {
		return "", "", 0, errors.New("url is required (e.g. udp://192.168.1.2:161)")
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return "", "", 0, fmt.Errorf("url is not a valid URL: %v", err)
	}
	if u.User != nil {
		return "", "", 0, fmt.Errorf("url %s carries credentials; give community_env instead", u.Redacted())
	}
	if (u.Scheme != "udp" && u.Scheme != "tcp") || u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return "", "", 0, fmt.Errorf("url %s: want udp://host[:port] or tcp://host[:port]", u.Redacted())
	}
	port = 161
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil || n == 0 {
			return "", "", 0, fmt.Errorf("url %s: bad port %q", u.Redacted(), p)
		}
		port = uint16(n)
	}
	return u.Scheme, u.Hostname(), port, nil
}

// POWER-ETHERNET-MIB pethPsePortTable columns used here.
const (
	pethPsePortEntry           = "1.3.6.1.2.1.105.1.1.1"
	pethPsePortAdminEnable     = pethPsePortEntry + ".3"
	pethPsePortDetectionStatus = pethPsePortEntry + ".6"
)

// PoE detection states (RFC 3621 pethPsePortDetectionStatus).
var poeDetection = map[int]string{1: "disabled", 2: "searching", 3: "deliveringPower", 4: "fault", 5: "test", 6: "otherFault"}

// SNMPPoE is one PoE port. It implements Switch.
type SNMPPoE struct {
	name        string
	transport   string
	host        string
	port        uint16
	group, pidx int
	community   secret.Secret // resolved
	timeout     time.Duration
	retries     int
	clk         clock.Clock
	log         *slog.Logger
	// mu keeps one exchange in flight: a switch's agent is slow, and
	// interleaved writes to the same port make no sense.
	mu sync.Mutex
}

// NewSNMPPoE validates cfg and returns the switch. It does not contact the
// agent.
func NewSNMPPoE(cfg power.Config, deps power.Deps) (*SNMPPoE, error) {
	deps = deps.WithDefaults()
	transport, host, port, err := parseAgentURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("snmp-poe: %w", err)
	}
	group := cfg.Group
	if group == 0 {
		group = 1
	}
	s := &SNMPPoE{transport: transport, host: host, port: port, group: group, pidx: cfg.Channel,
		clk: deps.Clock, log: deps.Log}
	s.name = fmt.Sprintf("snmp-poe:%s://%s#%d.%d", s.transport, net.JoinHostPort(s.host, strconv.Itoa(int(port))), group, cfg.Channel)
	if group < 1 || cfg.Channel < 1 {
		return nil, fmt.Errorf("%s: group %d and channel (port) %d must be >= 1", s.name, group, cfg.Channel)
	}
	if s.timeout, s.retries, err = netdevice.Budget(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	ref := cfg.Password()
	if cfg.CommunityEnv != "" {
		ref = secret.FromEnv(cfg.CommunityEnv)
	}
	if ref.IsZero() {
		return nil, fmt.Errorf("%s: no write community: give community_env (or password_env / password_file)", s.name)
	}
	if s.community, err = ref.Resolve(); err != nil {
		return nil, fmt.Errorf("%s: community: %w", s.name, err)
	}
	return s, nil
}

func (s *SNMPPoE) String() string { return s.name }

func (s *SNMPPoE) oid(column string) string {
	return fmt.Sprintf(".%s.%d.%d", column, s.group, s.pidx)
}

// Set writes pethPsePortAdminEnable and checks the agent took the value.
func (s *SNMPPoE) Set(ctx context.Context, on bool) error {
	op := "set " + power.State(on)
	want := 2
	if on {
		want = 1
	}
	oid := s.oid(pethPsePortAdminEnable)
	pkt, err := s.exchange(ctx, op, func(g *gosnmp.GoSNMP) (*gosnmp.SnmpPacket, error) {
		return g.Set([]gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.Integer, Value: want}})
	})
	if err != nil {
		return err
	}
	got, err := integerReply(pkt, oid)
	if err != nil {
		return s.replyErr(op, oid, err)
	}
	if got != want {
		return s.replyErr(op, oid, fmt.Errorf("agent answered pethPsePortAdminEnable = %d, wrote %d", got, want))
	}
	return nil
}

// Get reads pethPsePortDetectionStatus: on means deliveringPower.
func (s *SNMPPoE) Get(ctx context.Context) (bool, error) {
	oid := s.oid(pethPsePortDetectionStatus)
	pkt, err := s.exchange(ctx, "get", func(g *gosnmp.GoSNMP) (*gosnmp.SnmpPacket, error) {
		return g.Get([]string{oid})
	})
	if err != nil {
		return false, err
	}
	st, err := integerReply(pkt, oid)
	if err != nil {
		return false, s.replyErr("get", oid, err)
	}
	switch st {
	case 1, 2:
		return false, nil
	case 3:
		return true, nil
	}
	name, ok := poeDetection[st]
	if !ok {
		name = "not a detection status"
	}
	return false, s.replyErr("get", oid, fmt.Errorf("pethPsePortDetectionStatus = %d (%s)", st, name))
}

// exchange runs one SNMP request with a fresh session per attempt (UDP
// keeps no state worth reusing, and a fresh socket forgets a confused
// agent), retrying only when no answer came.
func (s *SNMPPoE) exchange(ctx context.Context, op string, do func(*gosnmp.GoSNMP) (*gosnmp.SnmpPacket, error)) (*gosnmp.SnmpPacket, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pkt *gosnmp.SnmpPacket
	last, interrupted := netdevice.Retry(ctx, s.clk, s.log, s.name, op, s.retries, func() (err error) {
		pkt, err = s.attempt(ctx, op, do)
		return err
	})
	switch {
	case interrupted != nil:
		return nil, s.wrap(op, interrupted, fmt.Errorf("%v (after %v)", interrupted, last))
	case last != nil:
		return nil, s.wrap(op, last, last)
	}
	return pkt, nil
}

func (s *SNMPPoE) attempt(ctx context.Context, op string, do func(*gosnmp.GoSNMP) (*gosnmp.SnmpPacket, error)) (*gosnmp.SnmpPacket, error) {
	actx, cancel := clock.WithTimeout(ctx, s.clk, s.timeout, "the agent's reply to "+op)
	defer cancel()
	community, _ := s.community.Value() // resolved at construction
	g := &gosnmp.GoSNMP{
		Target: s.host, Port: s.port, Transport: s.transport, Community: community,
		// Our clock's deadline is the bound (it closes the socket); gosnmp's
		// own timer is only a backstop should that clock be a fake one.
		Version: gosnmp.Version2c, Timeout: 2 * s.timeout, Retries: 0, Context: actx,
		MaxOids: gosnmp.MaxOids,
	}
	if err := g.Connect(); err != nil {
		return nil, snmpCause(actx, err)
	}
	defer g.Close()
	// gosnmp bounds a read by its own Timeout only; closing the socket is
	// what makes a cancelled ctx end a read at once.
	stop := context.AfterFunc(actx, func() { g.Close() })
	defer stop()
	start := s.clk.Now()
	pkt, err := do(g)
	if err != nil {
		return nil, snmpCause(actx, err)
	}
	s.log.Debug("power: snmp", "board", s.name, "op", op, "took", s.clk.Now().Sub(start))
	return pkt, nil
}

// snmpCause prefers the deadline's own explanation over gosnmp's text.
func snmpCause(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); cause != nil {
		return cause
	}
	return err
}

// integerReply checks a response PDU carries no error and one INTEGER
// varbind for oid.
func integerReply(pkt *gosnmp.SnmpPacket, oid string) (int, error) {
	if pkt == nil {
		return 0, errors.New("no response packet")
	}
	if pkt.Error != gosnmp.NoError {
		return 0, fmt.Errorf("agent answered error-status %s (index %d)", pkt.Error, pkt.ErrorIndex)
	}
	if len(pkt.Variables) != 1 {
		return 0, fmt.Errorf("agent answered %d varbinds, want 1", len(pkt.Variables))
	}
	v := pkt.Variables[0]
	if v.Name != oid {
		return 0, fmt.Errorf("agent answered for %s", v.Name)
	}
	switch v.Type {
	case gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		return 0, fmt.Errorf("agent has no such port (%s)", v.Type)
	case gosnmp.Integer:
		n, ok := v.Value.(int)
		if !ok {
			return 0, fmt.Errorf("INTEGER varbind whose value the SNMP decoder could not read as a number")
		}
		return n, nil
	}
	return 0, fmt.Errorf("agent answered type %s, want INTEGER", v.Type)
}

func (s *SNMPPoE) replyErr(op, oid string, err error) error {
	return &netdevice.Error{Text: s.scrub(fmt.Sprintf("%s: %s: %s: %v", s.name, op, oid, err)), Cause: power.ErrDeviceReply}
}

func (s *SNMPPoE) wrap(op string, cause, shown error) error {
	return &netdevice.Error{Text: s.scrub(fmt.Sprintf("%s: %s: %v", s.name, op, shown)), Cause: cause}
}

func (s *SNMPPoE) scrub(text string) string { return secret.Scrub(text, s.community) }
