package rig

import (
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/harness/internal/bindcheck"
	"github.com/camrig/camrig/harness/lab"
	"github.com/camrig/camrig/harness/secret"
)

// A rig file with a `lab:` section leases its units in the lab's etcd
// cluster instead of lock files, so several hosts (bench hosts, CI
// runners, laptops) share the units:
//
//	lab:
//	  etcd: [https://etcd1.lab:2379, https://etcd2.lab:2379, https://etcd3.lab:2379]
//	  ttl: 30s              # a dead holder blocks a unit at most this long
//	  prefix: /camrig/      # keys go under <prefix><rig>/
//	  user: camrig          # with password_env or password_file
//	  password_env: CAMRIG_ETCD_PASSWORD
//	  ca_file: /etc/camrig/etcd-ca.pem
//	  cert_file: /etc/camrig/etcd-client.pem
//	  key_file: /etc/camrig/etcd-client-key.pem

type fileLab struct {
	Etcd         []string      `yaml:"etcd"`
	TTL          time.Duration `yaml:"ttl"`
	Prefix       string        `yaml:"prefix"`
	User         string        `yaml:"user"`
	PasswordEnv  string        `yaml:"password_env"`
	PasswordFile string        `yaml:"password_file"`
	Password     yaml.Node     `yaml:"password"`
	CAFile       string        `yaml:"ca_file"`
	CertFile     string        `yaml:"cert_file"`
	KeyFile      string        `yaml:"key_file"`
	DialTimeout  time.Duration `yaml:"dial_timeout"`
}

// DefaultLabTTL is a lab lease's TTL when the rig file gives none.
const DefaultLabTTL = 30 * time.Second

// DefaultLabPrefix is where a lab's keys go when the rig file says nothing.
const DefaultLabPrefix = "/camrig/"

func checkLab(p *problems, l *fileLab, rigName string, virtual bool) *lab.Config {
	base := []string{"lab"}
	cfg := &lab.Config{TTL: l.TTL, Prefix: l.Prefix, User: l.User, DialTimeout: l.DialTimeout}
	if len(l.Etcd) == 0 {
		p.add(at(base, "etcd"), "etcd needs at least one endpoint (http:// or https://host:port)")
	}
	for i, e := range l.Etcd {
		p.err(at(base, "etcd", fmt.Sprintf("[%d]", i)), bindcheck.URL(e, scope(virtual), "http", "https"))
		cfg.Endpoints = append(cfg.Endpoints, e)
	}
	switch {
	case l.TTL == 0:
		cfg.TTL = DefaultLabTTL
	case l.TTL < lab.MinTTL:
		p.add(at(base, "ttl"), "ttl %v: want at least %v (etcd's shortest lease)", l.TTL, lab.MinTTL)
	case l.TTL%time.Second != 0:
		p.add(at(base, "ttl"), "ttl %v: etcd counts leases in whole seconds", l.TTL)
	}
	if l.DialTimeout < 0 {
		p.add(at(base, "dial_timeout"), "dial_timeout %v: want a positive duration", l.DialTimeout)
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultLabPrefix
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || strings.ContainsAny(cfg.Prefix, " \t\n") {
		p.add(at(base, "prefix"), "prefix %q: want a key path starting with '/'", l.Prefix)
	}
	if !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	// One cluster may serve several rigs: each gets its own key space.
	cfg.Prefix += rigName + "/"
	if l.User != "" {
		cfg.Password = checkSecret(p, base, l.PasswordEnv, l.PasswordFile, l.Password, true, "lab user "+l.User)
	} else {
		if l.Password.Kind != 0 {
			p.add(at(base, "password"), literalPasswordAdvice)
		}
		if l.PasswordEnv != "" || l.PasswordFile != "" {
			p.add(at(base, "user"), "a password needs a user")
		}
	}
	if (l.CertFile == "") != (l.KeyFile == "") {
		p.add(at(base, "cert_file"), "cert_file and key_file go together")
	}
	for _, f := range []struct {
		key string
		dst *string
		val string
	}{{"ca_file", &cfg.CAFile, l.CAFile}, {"cert_file", &cfg.CertFile, l.CertFile}, {"key_file", &cfg.KeyFile, l.KeyFile}} {
		if f.val != "" {
			*f.dst = absFrom(p.dir, f.val)
		}
	}
	if cfg.CAFile != "" || cfg.CertFile != "" {
		for i, e := range l.Etcd {
			if strings.HasPrefix(e, "http://") {
				p.add(at(base, "etcd", fmt.Sprintf("[%d]", i)), "TLS files are given: use https://")
			}
		}
	}
	return cfg
}

// labSecrets are the lab's credentials, for redaction.
func (r *Rig) labSecrets() []secret.Secret {
	if r.Lab == nil || r.Lab.Password.IsZero() {
		return nil
	}
	return []secret.Secret{r.Lab.Password}
}
