package secret_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/secret"
)

const value = "Sup3r-s3cret-value"

func TestNeverPrinted(t *testing.T) {
	t.Setenv("CAMRIG_TEST_PW", value)
	s, err := secret.FromEnv("CAMRIG_TEST_PW").Resolve()
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("login", "password", s)
	js, _ := json.Marshal(struct{ P secret.Secret }{s})
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q", s, s, s, s, s),
		fmt.Sprintf("%+v", struct{ P secret.Secret }{s}),
		logs.String(), string(js),
		fmt.Errorf("login with %v failed", s).Error(),
	}
	for _, o := range outs {
		if strings.Contains(o, value) {
			t.Fatalf("secret leaked in %q", o)
		}
	}
	if v, _ := s.Value(); v != value {
		t.Fatal("value lost")
	}
}

func TestSources(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "pw")
	os.WriteFile(f, []byte(value+"\n"), 0o600)
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	cases := []struct {
		name string
		s    secret.Secret
		ok   bool
	}{
		{"file", secret.FromFile(f), true},
		{"missing file", secret.FromFile(filepath.Join(dir, "nope")), false},
		{"empty file", secret.FromFile(empty), false},
		{"unset env", secret.FromEnv("CAMRIG_SURELY_UNSET_VAR"), false},
		{"none", secret.Secret{}, false},
		{"literal", secret.Literal(value), true},
	}
	for _, c := range cases {
		v, err := c.s.Value()
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if c.ok && v != value {
			t.Errorf("%s: value = %q", c.name, v)
		}
		if err != nil && strings.Contains(err.Error(), value) {
			t.Errorf("%s: error leaks value", c.name)
		}
	}
}

func TestScrub(t *testing.T) {
	s := secret.Literal(value)
	got := secret.Scrub("auth "+value+" ok", s)
	if got != "auth [redacted] ok" {
		t.Fatalf("scrub = %q", got)
	}
}
