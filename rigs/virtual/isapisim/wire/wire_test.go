package wire

import (
	"crypto/rand"
	"crypto/rsa"
	"strings"
	"testing"
	"time"
)

func TestSealOpenRoundTrip(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"Abcdefg1", "Abcdefgh12345678", "A1!"} {
		ch, reply, err := NewChallenge(HexBase64(key.N.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		sealed, err := Seal(key, reply, pw)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ch.Open(sealed)
		if err != nil || got != pw {
			t.Fatalf("%q: got %q, %v", pw, got, err)
		}
		other, _, _ := NewChallenge(HexBase64(key.N.Bytes()))
		if _, err := other.Open(sealed); err == nil {
			t.Fatal("opened with another challenge")
		}
	}
}

func TestParseParams(t *testing.T) {
	p, err := ParseParams(`username="ad\"min", realm="IP Camera(x)", nc=00000001, qop=auth,response="abc"`)
	if err != nil || p["username"] != `ad"min` || p["realm"] != "IP Camera(x)" || p["nc"] != "00000001" || p["response"] != "abc" {
		t.Fatalf("%v %v", p, err)
	}
	for _, bad := range []string{`a`, `a="x`, `a=x, a=y`, `="x"`, `a="x" b="y"`, "a=\"\x01\""} {
		if _, err := ParseParams(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPasswordProblem(t *testing.T) {
	for pw, ok := range map[string]bool{"Abcdefg1": true, "abcdefgh": false, "Ab1": false, "xadmin123": false, "Abcdefgh123456789": false, "Abcdéfg1": false} {
		if (PasswordProblem("admin", pw) == "") != ok {
			t.Errorf("%q: %q", pw, PasswordProblem("admin", pw))
		}
	}
}

func FuzzParseParams(f *testing.F) {
	f.Add(`username="admin", realm="r", nonce="n", uri="/", response="x", qop=auth, nc=00000001, cnonce="c"`)
	f.Add(`a="\\\"", b=c`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseParams(s)
		if err != nil {
			return
		}
		for k := range p {
			if k == "" || strings.ContainsAny(k, `=," `) {
				t.Fatalf("bad name %q from %q", k, s)
			}
		}
	})
}

func FuzzParseXML(f *testing.F) {
	for _, s := range []string{
		`<ResponseStatus><statusCode>1</statusCode></ResponseStatus>`,
		`<ActivateStatus><Activated>true</Activated></ActivateStatus>`,
		`<PublicKey xmlns="` + NamespaceISAPI + `"><key>abc</key></PublicKey>`,
		`<ActivateInfo><password>abc</password></ActivateInfo>`,
		`<DeviceInfo xmlns="` + NamespaceHikvision + `"><deviceName>x</deviceName></DeviceInfo>`,
		`<!DOCTYPE x><x/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if rs, err := ParseResponseStatus(b); err == nil && (rs.StatusCode < 1 || rs.StatusCode > 7) {
			t.Fatal("statusCode out of range")
		}
		ParseActivateStatus(b)
		if k, err := ParsePublicKey(b); err == nil && k == "" {
			t.Fatal("empty key")
		}
		ParseActivateInfo(b)
		ParseDeviceName(b)
	})
}

func FuzzChallengeOpen(f *testing.F) {
	f.Add("0123456789abcdef0123456789abcdef", HexBase64(make([]byte, 32)))
	f.Add("0123456789abcdef0123456789abcdef", "")
	f.Add("short", "MDA=")
	f.Fuzz(func(t *testing.T, ch, text string) {
		Challenge(ch).Open(text)
	})
}

func FuzzNewChallenge(f *testing.F) {
	f.Add(HexBase64([]byte{0xff, 0x01}))
	f.Add("not base64")
	f.Fuzz(func(t *testing.T, k string) { NewChallenge(k) })
}

func TestNonces(t *testing.T) {
	now := time.Unix(0, 0)
	n := &Nonces{Max: 2, Life: time.Minute, Now: func() time.Time { return now }}
	a := n.Issue()
	if !n.Use(a, 1) || n.Use(a, 1) || !n.Use(a, 3) || n.Use(a, 2) {
		t.Fatal("nonce counts must strictly increase")
	}
	if n.Use("unknown", 1) {
		t.Fatal("unknown nonce accepted")
	}
	b := n.Issue()
	now = now.Add(2 * time.Minute)
	if n.Use(b, 1) {
		t.Fatal("expired nonce accepted")
	}
	now = time.Unix(0, 0)
	n.Issue()
	n.Issue() // evicts a and b
	if n.Use(b, 5) {
		t.Fatal("evicted nonce accepted")
	}
}
