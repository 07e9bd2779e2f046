package digest

import (
	"errors"
	"strings"
	"testing"
)

// RFC 7616 section 3.9.1: the same request answered with MD5 and SHA-256,
// through a Session as the clients use it.
func TestSessionRFC7616Vectors(t *testing.T) {
	const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	for _, tc := range []struct {
		alg, response string
	}{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		s := &Session{Cnonce: func() string { return cnonce }}
		if _, err := s.Learn([]string{`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=` + tc.alg +
			`, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`}); err != nil {
			t.Fatalf("%s: Learn: %v", tc.alg, err)
		}
		h, ok, err := s.Authorize("Mufasa", "Circle of Life", "GET", "/dir/index.html")
		if !ok || err != nil {
			t.Fatalf("%s: Authorize = %v, %v", tc.alg, ok, err)
		}
		for _, want := range []string{`response="` + tc.response + `"`, `username="Mufasa"`, `uri="/dir/index.html"`,
			"qop=auth", "nc=00000001", `cnonce="` + cnonce + `"`, `opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`, "algorithm=" + tc.alg} {
			if !strings.Contains(h, want) {
				t.Errorf("%s: %s lacks %s", tc.alg, h, want)
			}
		}
	}
}

func TestSessionCountsNonceUse(t *testing.T) {
	s := &Session{Cnonce: func() string { return "c" }}
	const uri = "/rpc/Switch.Set?id=0&on=true"
	if h, ok, err := s.Authorize("admin", "pw", "GET", uri); ok || h != "" || err != nil {
		t.Fatalf("authorized before any challenge: %q %v %v", h, ok, err)
	}
	if _, err := s.Learn([]string{`Digest realm="r", nonce="n1", qop="auth", algorithm=SHA-256`}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nc=00000001", "nc=00000002"} {
		h, _, _ := s.Authorize("admin", "pw", "GET", uri)
		if !strings.Contains(h, want) || !strings.Contains(h, `uri="`+uri+`"`) {
			t.Fatalf("header %s lacks %s or the request URI", h, want)
		}
	}
	if _, err := s.Learn([]string{`Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256, stale=true`}); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := s.Authorize("admin", "pw", "GET", uri); !strings.Contains(h, "nc=00000001") || !strings.Contains(h, `nonce="n2"`) {
		t.Fatalf("a new nonce must restart nc: %s", h)
	}
}

// An unusable challenge is refused with a reason and leaves the session's
// earlier challenge in place.
func TestSessionUnanswerableChallenges(t *testing.T) {
	for _, h := range [][]string{
		nil,
		{`Basic realm="r"`},
		{`Digest realm="r", nonce="n", qop="auth-int"`},
		{`Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"`},
		{`Digest realm="r", qop="auth"`},
		{`Digest realm="unterminated`},
	} {
		s := &Session{}
		if _, err := s.Learn(h); err == nil {
			t.Errorf("%q: learnt; want a refusal with a reason", h)
		}
		if _, ok, _ := s.Authorize("admin", "pw", "GET", "/"); ok {
			t.Errorf("%q: refused challenge still answered", h)
		}
	}
	s := &Session{}
	s.Learn([]string{`Digest realm="r", nonce="kept", qop="auth"`})
	if _, err := s.Learn([]string{`Basic realm="r"`}); !errors.Is(err, ErrNoChallenge) {
		t.Fatalf("Basic only: %v, want ErrNoChallenge", err)
	}
	if h, _, _ := s.Authorize("admin", "pw", "GET", "/"); !strings.Contains(h, `nonce="kept"`) {
		t.Fatalf("an unusable challenge replaced the usable one: %s", h)
	}
}

// A user name with a line break cannot be sent: Authorize says so instead of
// building a header that splits.
func TestSessionRefusesLineBreakInUser(t *testing.T) {
	s := &Session{}
	s.Learn([]string{`Digest realm="r", nonce="n", qop="auth"`})
	if h, ok, err := s.Authorize("ad\r\nmin", "pw", "GET", "/"); ok || err == nil || h != "" {
		t.Fatalf("Authorize = %q, %v, %v; want a refusal", h, ok, err)
	}
}

// FuzzSession feeds arbitrary WWW-Authenticate values through the path a
// 401 takes: parse, remember, answer the next request.
func FuzzSession(f *testing.F) {
	for _, s := range []string{
		`Digest qop="auth", realm="shellyplus1-a8032ab12345", nonce="1631102208", algorithm=SHA-256`,
		`Digest realm="a\"b", nonce=x,Basic realm="c"`,
		`Digest realm="x`, `,,,`, `Digest realm="r", nonce="n", stale=TRUE, opaque="o"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		s := &Session{Cnonce: func() string { return "c" }}
		_, err := s.Learn([]string{field})
		h, ok, aerr := s.Authorize("admin", "pw", "GET", "/rpc/Switch.GetStatus?id=0")
		if (err == nil) != (ok || aerr != nil) {
			t.Fatalf("%q: learn err=%v, authorize ok=%v err=%v", field, err, ok, aerr)
		}
		if ok && !strings.HasPrefix(h, "Digest ") {
			t.Fatalf("%q: accepted challenge but no Digest answer: %q", field, h)
		}
		if strings.ContainsAny(h, "\r\n") {
			t.Fatalf("%q: header with a line break: %q", field, h)
		}
	})
}
