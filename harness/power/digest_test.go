package power

import (
	"maps"
	"net/http"
	"strings"
	"testing"
)

// RFC 7616 section 3.9.1: the same request answered with MD5 and SHA-256.
func TestDigestRFC7616Vectors(t *testing.T) {
	const cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
	for _, tc := range []struct {
		alg, response string
	}{
		{"MD5", "8ca523f5e9506fed4657c9700eebdbec"},
		{"SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"},
	} {
		ch := digestChallenge{Realm: "http-auth@example.org", Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
			Opaque: "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS", Algorithm: tc.alg, QOP: "auth"}
		got := ch.authorization("GET", "/dir/index.html", "Mufasa", "Circle of Life", cnonce, 1)
		want := `Digest username="Mufasa", realm="http-auth@example.org", nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", ` +
			`uri="/dir/index.html", algorithm=` + tc.alg + `, response="` + tc.response + `", qop=auth, nc=00000001, ` +
			`cnonce="` + cnonce + `", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"`
		if got != want {
			t.Errorf("%s\n got %s\nwant %s", tc.alg, got, want)
		}
	}
}

func TestDigestSessAndLegacy(t *testing.T) {
	// Expected values computed independently (Python hashlib) from the
	// RFC 7616 formulas.
	sess := digestChallenge{Realm: "r", Nonce: "n", Algorithm: "SHA-256-SESS", QOP: "auth"}
	got := sess.authorization("GET", "/x", "u", "p", "c", 2)
	if !strings.Contains(got, `response="56a98123529bb70bc70142ceed054b896ca6faf9e1713771f187f04ec8277a40"`) || !strings.Contains(got, "nc=00000002") {
		t.Errorf("SHA-256-sess: %s", got)
	}
	legacy := digestChallenge{Realm: "r", Nonce: "n", Algorithm: "MD5"}
	got = legacy.authorization("GET", "/x", "u", "p", "c", 1)
	if !strings.Contains(got, `response="3042aef13752cb1d63f6787a080ffdfc"`) || strings.Contains(got, "qop=") || strings.Contains(got, "cnonce") {
		t.Errorf("RFC 2069: %s", got)
	}
}

func TestParseAuthChallenges(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []authChallenge
	}{
		{`Digest qop="auth", realm="shellyplus1-a8032ab12345", nonce="1631102208", algorithm=SHA-256`,
			[]authChallenge{{"Digest", map[string]string{"qop": "auth", "realm": "shellyplus1-a8032ab12345", "nonce": "1631102208", "algorithm": "SHA-256"}}}},
		{`Digest realm="a\"b", nonce=x,Basic realm="c"`,
			[]authChallenge{{"Digest", map[string]string{"realm": `a"b`, "nonce": "x"}}, {"Basic", map[string]string{"realm": "c"}}}},
		{`Negotiate abc==, Basic`,
			[]authChallenge{{"Negotiate", map[string]string{"abc": "="}}, {"Basic", map[string]string{}}}},
		{`  Digest   REALM = "x" , Nonce="y"  `,
			[]authChallenge{{"Digest", map[string]string{"realm": "x", "nonce": "y"}}}},
	} {
		got, err := parseAuthChallenges(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !sameChallenges(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{``, `Digest realm="open`, `Digest realm="x\`, `Digest realm="x"=`, `"Digest"`, `Digest realm=x; nonce=y`} {
		if got, err := parseAuthChallenges(bad); err == nil {
			t.Errorf("%q parsed as %+v", bad, got)
		}
	}
}

func sameChallenges(a, b []authChallenge) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Scheme != b[i].Scheme || !maps.Equal(a[i].Params, b[i].Params) {
			return false
		}
	}
	return true
}

func TestDigestFromPrefersSHA256(t *testing.T) {
	fields := []string{
		`Digest realm="r", nonce="md5nonce", algorithm=MD5, qop="auth"`,
		`Digest realm="r", nonce="shanonce", algorithm=SHA-256, qop="auth,auth-int"`,
		`Basic realm="r"`,
	}
	ch, err := digestFrom(fields)
	if err != nil || ch.Algorithm != "SHA-256" || ch.Nonce != "shanonce" || ch.QOP != "auth" {
		t.Fatalf("got %+v, %v", ch, err)
	}
	for _, tc := range []struct {
		fields []string
		want   string
	}{
		{nil, "without a WWW-Authenticate"},
		{[]string{`Basic realm="r"`}, "no usable Digest challenge among: Basic"},
		{[]string{`Digest realm="r", nonce="n", qop="auth-int"`}, "only auth is supported"},
		{[]string{`Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth"`}, "SHA-512-256 not supported"},
		{[]string{`Digest realm="r", qop="auth"`}, "no nonce"},
		{[]string{`Digest nonce="n"`}, "no realm"},
		{[]string{`Digest realm="r", nonce="n", algorithm=MD5-sess`}, "-sess algorithm without qop"},
	} {
		if _, err := digestFrom(tc.fields); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.fields, err, tc.want)
		}
	}
}

func TestDigestAuthCountsNonceUse(t *testing.T) {
	a := &digestAuth{user: "admin", cnonce: func() string { return "c" }}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/rpc/Switch.Set?id=0&on=true", nil)
	a.authorize(req)
	if h := req.Header.Get("Authorization"); h != "" {
		t.Fatalf("authorized before any challenge: %s", h)
	}
	resp := &http.Response{StatusCode: 401, Header: http.Header{"Www-Authenticate": {`Digest realm="r", nonce="n1", qop="auth", algorithm=SHA-256`}}}
	if again, err := a.challenged(resp); !again || err != nil {
		t.Fatalf("challenged = %v, %v", again, err)
	}
	for _, want := range []string{"nc=00000001", "nc=00000002"} {
		a.authorize(req)
		h := req.Header.Get("Authorization")
		if !strings.Contains(h, want) || !strings.Contains(h, `uri="/rpc/Switch.Set?id=0&on=true"`) {
			t.Fatalf("header %s lacks %s or the request URI", h, want)
		}
	}
	resp.Header.Set("WWW-Authenticate", `Digest realm="r", nonce="n2", qop="auth", algorithm=SHA-256, stale=true`)
	a.challenged(resp)
	a.authorize(req)
	if h := req.Header.Get("Authorization"); !strings.Contains(h, "nc=00000001") || !strings.Contains(h, `nonce="n2"`) {
		t.Fatalf("a new nonce must restart nc: %s", h)
	}
}

func FuzzParseAuthChallenges(f *testing.F) {
	for _, s := range []string{
		`Digest qop="auth", realm="shellyplus1-a8032ab12345", nonce="1631102208", algorithm=SHA-256`,
		`Digest realm="a\"b", nonce=x,Basic realm="c"`,
		`Negotiate abc==`, `Digest realm="x`, `,,,`, `Digest realm="r", nonce="n", stale=TRUE, opaque="o"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		chs, err := parseAuthChallenges(in)
		if err != nil {
			return
		}
		// What parsed must survive being written canonically and parsed again.
		var parts []string
		for _, ch := range chs {
			if ch.Scheme == "" {
				t.Fatalf("%q: empty scheme", in)
			}
			s := ch.Scheme
			var ps []string
			for k, v := range ch.Params {
				ps = append(ps, k+"="+quoteHeader(v))
			}
			if len(ps) > 0 {
				s += " " + strings.Join(ps, ", ")
			}
			parts = append(parts, s)
		}
		again, err := parseAuthChallenges(strings.Join(parts, ", "))
		if err != nil || !sameChallenges(chs, again) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", in, chs, strings.Join(parts, ", "), again, err)
		}
		_, _ = digestFrom([]string{in})
	})
}
