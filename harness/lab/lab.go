// Package lab coordinates the hosts of a lab through etcd: a unit's lease
// is an etcd key bound to an etcd lease that its holder keeps alive, so a
// holder that dies or loses the network loses the unit within the TTL, and
// nobody has to unlock a board by hand after a cancelled CI job.
//
// The package stores opaque holder records (the rig package owns their
// format) and knows nothing of units beyond their names. Keys, under the
// configured prefix:
//
//	<prefix>units/<name>/holder   the holder's record, bound to its lease
//	<prefix>units/<name>/last     the record of the last holder that did not
//	                              release: left by a holder that died, so the
//	                              next one knows it takes over (and from whom)
//	<prefix>reservations/<name>   a reservation (see Reserve)
//	<prefix>runs/<run>/<name>     which runner of a shared run took a unit
package lab

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/camrig/camrig/harness/clock"
	"github.com/camrig/camrig/harness/secret"
)

// Config says how to reach the lab's etcd cluster.
type Config struct {
	// Endpoints are the cluster's client URLs (http:// or https://).
	Endpoints []string
	// TTL is how long a unit stays leased after its holder's last
	// keep-alive: the longest a dead holder blocks a unit. etcd counts it
	// in whole seconds.
	TTL time.Duration
	// Prefix is put before every key (it ends with '/').
	Prefix string
	// User and Password authenticate to etcd (User "": no auth).
	User     string
	Password secret.Secret
	// CAFile verifies the servers; CertFile and KeyFile are the client's
	// certificate. Any of them set means TLS.
	CAFile, CertFile, KeyFile string
	// DialTimeout bounds connecting and every single request
	// (0: DefaultDialTimeout).
	DialTimeout time.Duration
	// Clock runs the keep-alive watchdog (nil: the wall clock, which is
	// what the server's TTL is counted in).
	Clock clock.Clock
}

// DefaultDialTimeout bounds a request to the cluster when Config says
// nothing: long enough for a leader election, short enough that a lab
// whose etcd is down is reported at once rather than hanging a run.
const DefaultDialTimeout = 5 * time.Second

// MinTTL is the shortest lease etcd grants with its default timings.
const MinTTL = 2 * time.Second

// ErrUnavailable is matched (errors.Is) when no member of the cluster
// answered.
var ErrUnavailable = errors.New("lab etcd unavailable")

// Store is a connection to the lab's cluster.
type Store struct {
	cli *clientv3.Client
	cfg Config
	log *slog.Logger
}

// Open connects to the cluster. It does not wait for an answer: the first
// request says whether the cluster is reachable.
func Open(cfg Config, log *slog.Logger) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("lab: no etcd endpoints")
	}
	if cfg.TTL < MinTTL {
		return nil, fmt.Errorf("lab: ttl %v is shorter than etcd's minimum %v", cfg.TTL, MinTTL)
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if log == nil {
		log = slog.Default()
	}
	cc := clientv3.Config{
		Endpoints:   cfg.Endpoints,
		DialTimeout: cfg.DialTimeout,
		// The client's own zap log would print endpoints and retries on
		// stderr; what matters is reported through our errors and slog.
		Logger:               zap.NewNop(),
		DialKeepAliveTime:    cfg.TTL / 3,
		DialKeepAliveTimeout: cfg.TTL / 3,
		AutoSyncInterval:     0,
		RejectOldCluster:     false,
		PermitWithoutStream:  true,
	}
	if cfg.User != "" {
		pw, err := cfg.Password.Value()
		if err != nil {
			return nil, fmt.Errorf("lab: etcd password (%s): %w", cfg.Password.Where(), err)
		}
		cc.Username, cc.Password = cfg.User, pw
	}
	if cfg.CAFile != "" || cfg.CertFile != "" || cfg.KeyFile != "" {
		tc, err := tlsConfig(cfg)
		if err != nil {
			return nil, err
		}
		cc.TLS = tc
	}
	cli, err := clientv3.New(cc)
	if err != nil {
		return nil, fmt.Errorf("lab: etcd %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	return &Store{cli: cli, cfg: cfg, log: log}, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	info := transport.TLSInfo{CertFile: cfg.CertFile, KeyFile: cfg.KeyFile, TrustedCAFile: cfg.CAFile}
	tc, err := info.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("lab: etcd TLS: %w", err)
	}
	return tc, nil
}

// Close disconnects. Leases still held are not revoked: they expire.
func (s *Store) Close() error { return s.cli.Close() }

// TTL is the configured lease time.
func (s *Store) TTL() time.Duration { return s.cfg.TTL }

func (s *Store) clock() clock.Clock { return clock.OrReal(s.cfg.Clock) }

// request bounds one call to the cluster.
func (s *Store) request(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.cfg.DialTimeout)
}

// unavailable turns a client error into one that says the lab is down,
// naming the endpoints (they hold no credentials: Check refuses user info).
func (s *Store) unavailable(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || isUnavailable(err) {
		return fmt.Errorf("%s: %w: no member of %s answered within %v (%v)", what, ErrUnavailable,
			strings.Join(s.cfg.Endpoints, ", "), s.cfg.DialTimeout, err)
	}
	return fmt.Errorf("%s: etcd %s: %w", what, strings.Join(s.cfg.Endpoints, ", "), err)
}

func isUnavailable(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Unavailable") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "context deadline exceeded")
}

func (s *Store) holderKey(name string) string { return s.cfg.Prefix + "units/" + name + "/holder" }
func (s *Store) lastKey(name string) string   { return s.cfg.Prefix + "units/" + name + "/last" }
func (s *Store) reservationKey(name string) string {
	return s.cfg.Prefix + "reservations/" + name
}
func (s *Store) runKey(run, name string) string { return s.cfg.Prefix + "runs/" + run + "/" + name }

// Key is where the named unit's holder record lives, for messages.
func (s *Store) Key(name string) string { return s.holderKey(name) }

// ttlSeconds is the TTL as etcd takes it, rounded up.
func (s *Store) ttlSeconds() int64 {
	return int64((s.cfg.TTL + time.Second - 1) / time.Second)
}
