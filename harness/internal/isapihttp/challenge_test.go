package isapihttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/camrig/camrig/harness/internal/digest"
	"github.com/camrig/camrig/harness/secret"
)

// A device that asks for Digest in a form camrig does not implement gets no
// credentials, and the error says what it asked for, not "credentials
// refused". A device that does refuse answerable credentials still gets
// the AuthError (the negative case).
func TestUnanswerableDigestChallengeIsReportedAsSuch(t *testing.T) {
	tests := []struct {
		name, challenge string
		want            []string
	}{
		{"SHA-512-256", `Digest realm="cam", nonce="n1", qop="auth", algorithm=SHA-512-256`,
			[]string{`algorithm "SHA-512-256" is not implemented`, "no credentials were sent"}},
		{"unknown algorithm", `Digest realm="cam", nonce="n1", qop="auth", algorithm=MD6`,
			[]string{`algorithm "MD6" is not implemented`, "camrig answers MD5"}},
		{"auth-int only", `Digest realm="cam", nonce="n1", qop="auth-int"`,
			[]string{`qop "auth-int" offers no "auth"`, "auth-int is not implemented"}},
		{"two unanswerable", `Digest realm="cam", nonce="n1", qop="auth", algorithm=SHA-512-256, Digest realm="cam", nonce="n2", qop="auth-int"`,
			[]string{`"SHA-512-256"`, `"auth-int"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var withAuth atomic.Int32
			hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					withAuth.Add(1)
				}
				w.Header().Set("WWW-Authenticate", tt.challenge)
				w.WriteHeader(http.StatusUnauthorized)
			}))
			defer hs.Close()
			c, err := New(Config{Peer: "camera cam1", URL: hs.URL, User: "admin", Password: secret.Literal("s3cr3t-pw")})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_, err = c.Do(context.Background(), Request{Method: "GET", Path: "/ISAPI/System/deviceInfo", Auth: true})
			var ce *ChallengeError
			if !errors.As(err, &ce) || errors.Is(err, ErrUnauthorized) || !errors.Is(err, digest.ErrNoChallenge) {
				t.Fatalf("err = %v, want a ChallengeError and not ErrUnauthorized", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not say %q:\n%v", w, err)
				}
			}
			if n := withAuth.Load(); n != 0 {
				t.Errorf("%d requests carried credentials", n)
			}
		})
	}
	t.Run("answerable but refused", func(t *testing.T) {
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("WWW-Authenticate", `Digest realm="cam", nonce="n1", qop="auth", algorithm=SHA-256`)
			w.WriteHeader(http.StatusUnauthorized)
		}))
		defer hs.Close()
		c, err := New(Config{Peer: "camera cam1", URL: hs.URL, User: "admin", Password: secret.Literal("s3cr3t-pw")})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		resp, err := c.Do(context.Background(), Request{Method: "GET", Path: "/ISAPI/System/deviceInfo", Auth: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Check(resp); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("Check = %v, want ErrUnauthorized", err)
		}
	})
}
