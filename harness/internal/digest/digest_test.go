package digest

import (
	"errors"
	"strings"
	"testing"
)

// RFC 2617 section 3.5: the worked example, computed by hand in the RFC.
func TestDigestRFC2617Example(t *testing.T) {
	d, err := From([]string{`Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`})
	if err != nil {
		t.Fatal(err)
	}
	if d.QOP != "auth" || d.Opaque != "5ccc069c403ebaf9f0171e9517f40e41" {
		t.Fatalf("%+v", d)
	}
	h, err := Authorization(d, "Mufasa", "Circle Of Life", "GET", "/dir/index.html", 1, "0a4f113b")
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseAuthParams(strings.TrimPrefix(h, "Digest "))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"username": "Mufasa", "realm": "testrealm@host.com", "nonce": "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		"uri": "/dir/index.html", "qop": "auth", "nc": "00000001", "cnonce": "0a4f113b",
		"response": "6629fae49393a05397450978507c4ef1", "opaque": "5ccc069c403ebaf9f0171e9517f40e41",
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
}

// RFC 7616 section 3.9.1: the same request with MD5 and SHA-256.
func TestDigestRFC7616Examples(t *testing.T) {
	for alg, want := range map[string]string{
		"MD5":     "8ca523f5e9506fed4657c9700eebdbec",
		"SHA-256": "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
	} {
		d := Challenge{Realm: "http-auth@example.org", Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", Algorithm: alg, QOP: "auth"}
		got, err := Response(d, "Mufasa", "Circle of Life", "GET", "/dir/index.html", "00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")
		if err != nil || got != want {
			t.Errorf("%s: %s, %v; want %s", alg, got, err, want)
		}
	}
}

func TestParseChallenges(t *testing.T) {
	cs, err := ParseChallenges([]string{
		`Basic realm="x", Digest realm="IP Camera(a, \"b\")", nonce=abc, qop="auth", stale=TRUE`,
		`Digest realm="second", nonce="n2", algorithm=SHA-256`,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 3 || cs[0].Scheme != "Basic" || cs[1].Params["realm"] != `IP Camera(a, "b")` || cs[1].Params["nonce"] != "abc" || cs[2].Params["algorithm"] != "SHA-256" {
		t.Fatalf("%+v", cs)
	}
	d, err := From([]string{`Basic realm="x", Digest realm="r", nonce="n", stale=true`})
	if err != nil || !d.Stale || d.QOP != "" {
		t.Fatalf("%+v %v", d, err)
	}
	for _, bad := range []string{
		`Digest realm="r`, `Digest realm="r", realm="s", nonce=n`, `Digest realm=`, `Digest realm="r" nonce="n"`, `Digest realm="a` + "\x01" + `"`, `=x`,
	} {
		if _, err := ParseChallenges([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, unusable := range []string{
		`Basic realm="x"`, `Digest nonce="n"`, `Digest realm="r"`, `Digest realm="r", nonce="n", algorithm=SHA-512`, `Digest realm="r", nonce="n", qop="auth-int"`,
	} {
		if _, err := From([]string{unusable}); !errors.Is(err, ErrNoChallenge) {
			t.Errorf("%q: %v; want ErrNoChallenge", unusable, err)
		}
	}
}

func FuzzParseChallenges(f *testing.F) {
	for _, s := range []string{
		`Digest realm="IP Camera(x)", qop="auth", nonce="abc", stale=TRUE`,
		`Basic realm="x", Digest realm="y", nonce=z`, `Digest realm="a\"b"`, `Negotiate abc==`, `,,,`, `Digest a=b c=d`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseChallenges([]string{s})
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Scheme == "" {
				t.Fatalf("empty scheme from %q", s)
			}
		}
		if d, err := From([]string{s}); err == nil {
			if d.Nonce == "" {
				t.Fatalf("digest without nonce from %q", s)
			}
			h, err := Authorization(d, "admin", "pw", "GET", "/", 1, "c")
			if err != nil {
				return
			}
			// What we send must parse back to the same realm and nonce.
			p, err := ParseAuthParams(strings.TrimPrefix(h, "Digest "))
			if err != nil || p["realm"] != d.Realm || p["nonce"] != d.Nonce {
				t.Fatalf("round trip of %q: %v %v", s, p, err)
			}
		}
	})
}

func FuzzParseAuthParams(f *testing.F) {
	for _, s := range []string{`username="admin", realm="r", nonce="n", uri="/", response="x", qop=auth, nc=00000001, cnonce="c"`, `a="\\"`, `a=b,,c=d`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { ParseAuthParams(s) })
}
