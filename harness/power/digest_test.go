package power

import (
	"net/http"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/secret"
)

func challenge(fields ...string) *http.Response {
	return &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": fields}}
}

// RFC 7616 section 3.9.1: the same request answered with MD5 and SHA-256.
func TestDigestAuthRFC7616Vectors(t *testing.T) {
	const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	for _, tc := range []struct {
		alg, response string
	}{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		a := &digestAuth{user: "Mufasa", pass: secret.Literal("Circle of Life"), cnonce: func() string { return cnonce }}
		again, err := a.challenged(challenge(`Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=` + tc.alg +
			`, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`))
		if !again || err != nil {
			t.Fatalf("%s: challenged = %v, %v", tc.alg, again, err)
		}
		req, _ := http.NewRequest("GET", "http://127.0.0.1/dir/index.html", nil)
		a.authorize(req)
		h := req.Header.Get("Authorization")
		for _, want := range []string{`response="` + tc.response + `"`, `username="Mufasa"`, `uri="/dir/index.html"`,
			"qop=auth", "nc=00000001", `cnonce="` + cnonce + `"`, `opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`, "algorithm=" + tc.alg} {
			if !strings.Contains(h, want) {
				t.Errorf("%s: %s lacks %s", tc.alg, h, want)
			}
		}
	}
}

func TestDigestAuthCountsNonceUse(t *testing.T) {
	a := &digestAuth{user: "admin", pass: secret.Literal("pw"), cnonce: func() string { return "c" }}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/rpc/Switch.Set?id=0&on=true", nil)
	a.authorize(req)
	if h := req.Header.Get("Authorization"); h != "" {
		t.Fatalf("authorized before any challenge: %s", h)
	}
	if again, err := a.challenged(challenge(`Digest realm="r", nonce="n1", qop="auth", algorithm=SHA-256`)); !again || err != nil {
		t.Fatalf("challenged = %v, %v", again, err)
	}
	for _, want := range []string{"nc=00000001", "nc=00000002"} {
		a.authorize(req)
		h := req.Header.Get("Authorization")
		if !strings.Contains(h, want) || !strings.Contains(h, `uri="/rpc/Switch.Set?id=0&on=true"`) {
			t.Fatalf("header %s lacks %s or the request URI", h, want)
		}
	}
	a.challenged(challenge(`Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256, stale=true`))
	a.authorize(req)
	if h := req.Header.Get("Authorization"); !strings.Contains(h, "nc=00000001") || !strings.Contains(h, `nonce="n2"`) {
		t.Fatalf("a new nonce must restart nc: %s", h)
	}
}

func TestDigestAuthUnanswerableChallenges(t *testing.T) {
	for _, h := range [][]string{
		nil,
		{`Basic realm="r"`},
		{`Digest realm="r", nonce="n", qop="auth-int"`},
		{`Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"`},
		{`Digest realm="r", qop="auth"`},
		{`Digest realm="unterminated`},
	} {
		a := &digestAuth{user: "admin", pass: secret.Literal("pw")}
		if again, err := a.challenged(challenge(h...)); again || err == nil {
			t.Errorf("%q: challenged = %v, %v; want a refusal with a reason", h, again, err)
		}
	}
}

// FuzzDigestChallenge feeds arbitrary WWW-Authenticate values through the
// path a Shelly 401 takes: parse, remember, answer the next request.
func FuzzDigestChallenge(f *testing.F) {
	for _, s := range []string{
		`Digest qop="auth", realm="shellyplus1-a8032ab12345", nonce="1631102208", algorithm=SHA-256`,
		`Digest realm="a\"b", nonce=x,Basic realm="c"`,
		`Digest realm="x`, `,,,`, `Digest realm="r", nonce="n", stale=TRUE, opaque="o"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, field string) {
		a := &digestAuth{user: "admin", pass: secret.Literal("pw"), cnonce: func() string { return "c" }}
		again, err := a.challenged(challenge(field))
		if again != (err == nil) {
			t.Fatalf("%q: again=%v err=%v", field, again, err)
		}
		req, _ := http.NewRequest("GET", "http://127.0.0.1/rpc/Switch.GetStatus?id=0", nil)
		a.authorize(req)
		h := req.Header.Get("Authorization")
		if again && !strings.HasPrefix(h, "Digest ") {
			t.Fatalf("%q: accepted challenge but no Digest answer: %q", field, h)
		}
		if strings.ContainsAny(h, "\r\n") {
			t.Fatalf("%q: header with a line break: %q", field, h)
		}
	})
}
