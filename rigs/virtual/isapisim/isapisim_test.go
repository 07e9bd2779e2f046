package isapisim_test

import (
	"bytes"
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

var httpc = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func call(t *testing.T, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := httpc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// activate runs the activation exchange by hand; pad chooses the padding.
func activate(t *testing.T, base, password string, pad func([]byte) []byte) (int, wire.ResponseStatus) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, b := call(t, "POST", base+"/ISAPI/Security/challenge", wire.Document("PublicKey", wire.NamespaceISAPI, wire.Element("key", wire.HexBase64(key.N.Bytes()))))
	reply, err := wire.ParsePublicKey(b)
	if err != nil {
		t.Fatalf("challenge reply %q: %v", b, err)
	}
	ct, _ := wire.UnHexBase64(reply)
	ch, err := rsa.DecryptPKCS1v15(nil, key, ct)
	if err != nil || len(ch) != 32 {
		t.Fatalf("challenge: %v", err)
	}
	aesKey := make([]byte, 16)
	fmt.Sscanf(string(ch), "%32x", &aesKey)
	block, _ := aes.NewCipher(aesKey)
	plain := pad(append(append([]byte{}, ch[:16]...), password...))
	out := make([]byte, len(plain))
	for i := 0; i < len(plain); i += 16 {
		block.Encrypt(out[i:], plain[i:i+16])
	}
	resp, b := call(t, "PUT", base+"/ISAPI/System/activate", wire.Document("ActivateInfo", "", wire.Element("password", wire.HexBase64(out))))
	rs, err := wire.ParseResponseStatus(b)
	if err != nil {
		t.Fatalf("activate reply %q: %v", b, err)
	}
	return resp.StatusCode, rs
}

func nulPad(b []byte) []byte {
	for len(b)%16 != 0 {
		b = append(b, 0)
	}
	return b
}

func pkcs7(b []byte) []byte {
	n := 16 - len(b)%16
	return append(b, bytes.Repeat([]byte{byte(n)}, n)...)
}

func TestInactiveRefusesAllButActivation(t *testing.T) {
	for _, status := range []int{401, 403} {
		cam := simtest.NewCamera(t, "cam", "127.0.0.31", isapisim.Config{Model: "m", NotActivatedStatus: status})
		for _, c := range []struct{ method, path string }{
			{"GET", "/ISAPI/System/deviceInfo"}, {"PUT", "/ISAPI/System/reboot"}, {"GET", "/ISAPI/Security/userCheck"},
			{"PUT", "/ISAPI/System/factoryReset?mode=full"}, {"GET", "/ISAPI/Nonexistent"},
		} {
			resp, b := call(t, c.method, cam.URL+c.path, nil)
			rs, err := wire.ParseResponseStatus(b)
			wantCode := map[int]int{401: 4, 403: 6}[status]
			if resp.StatusCode != status || err != nil || rs.SubStatusCode != "notActivated" || rs.StatusCode != wantCode {
				t.Errorf("%d: %s %s: HTTP %d %+v %v", status, c.method, c.path, resp.StatusCode, rs, err)
			}
		}
		resp, b := call(t, "GET", cam.URL+"/SDK/activateStatus", nil)
		if a, err := wire.ParseActivateStatus(b); resp.StatusCode != 200 || err != nil || a {
			t.Errorf("activateStatus: %d %q", resp.StatusCode, b)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
			t.Errorf("content type %q", ct)
		}
	}
}

func TestActivationPaddingAndRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		password string
		pad      func([]byte) []byte
		code     int
		sub      string
	}{
		{"NUL padding", "Abcdefg1", nulPad, 200, "ok"},
		{"PKCS7 padding", "Abcdefg1", pkcs7, 200, "ok"},
		{"PKCS7 full block", "Abcdefgh12345678", pkcs7, 200, "ok"},
		{"aligned without padding", "Abcdefgh12345678", nulPad, 200, "ok"},
		{"too short", "Abc1", nulPad, 400, "riskPassword"},
		{"too long", "Abcdefgh123456789", nulPad, 400, "riskPassword"},
		{"one class", "abcdefghij", nulPad, 400, "riskPassword"},
		{"contains user", "xAdmin1234", nulPad, 400, "riskPassword"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cam := simtest.NewCamera(t, "cam", "127.0.0.32", isapisim.Config{Model: "m"})
			code, rs := activate(t, cam.URL, tc.password, tc.pad)
			if code != tc.code || rs.SubStatusCode != tc.sub {
				t.Fatalf("HTTP %d %+v; want %d %s", code, rs, tc.code, tc.sub)
			}
			if strings.Contains(rs.ErrorMsg, tc.password) {
				t.Fatal("the device echoed the password")
			}
			_, b := call(t, "GET", cam.URL+"/SDK/activateStatus", nil)
			active, _ := wire.ParseActivateStatus(b)
			if active != (tc.code == 200) {
				t.Fatalf("activated=%v", active)
			}
			if tc.code != 200 {
				return
			}
			// The stored password works for Digest, and only it does.
			for pw, want := range map[string]int{tc.password: 200, tc.password + "x": 401} {
				if got := digestGet(t, cam.URL, "/ISAPI/System/deviceInfo", "admin", pw); got != want {
					t.Errorf("password ok=%v: HTTP %d, want %d", want == 200, got, want)
				}
			}
			if v, _ := cam.Config().Get(isapisim.KeyUsers); strings.Contains(v, tc.password) {
				t.Fatal("password stored in plain text")
			}
		})
	}
}

func TestActivateNeedsFreshChallenge(t *testing.T) {
	cam := simtest.NewCamera(t, "cam", "127.0.0.33", isapisim.Config{Model: "m"})
	resp, b := call(t, "PUT", cam.URL+"/ISAPI/System/activate", wire.Document("ActivateInfo", "", wire.Element("password", "MDA=")))
	if rs, _ := wire.ParseResponseStatus(b); resp.StatusCode != 403 || rs.SubStatusCode != "invalidOperation" {
		t.Fatalf("activate without challenge: %d %q", resp.StatusCode, b)
	}
	resp, _ = call(t, "POST", cam.URL+"/ISAPI/Security/challenge", wire.Document("PublicKey", "", wire.Element("key", wire.HexBase64([]byte{0x0f}))))
	if resp.StatusCode != 400 {
		t.Fatalf("tiny key: HTTP %d", resp.StatusCode)
	}
}

// digestGet performs a Digest GET and returns the final HTTP status.
func digestGet(t *testing.T, base, path, user, password string) int {
	t.Helper()
	resp, _ := call(t, "GET", base+path, nil)
	if resp.StatusCode != 401 {
		return resp.StatusCode
	}
	_, rest := wire.SplitScheme(resp.Header.Get("WWW-Authenticate"))
	p, err := wire.ParseParams(rest)
	if err != nil {
		t.Fatal(err)
	}
	h, err := wire.Authorization(p, user, password, "GET", path, 1, "cafe")
	if err != nil {
		t.Fatal(err)
	}
	resp, _ = call(t, "GET", base+path, nil, "Authorization", h)
	return resp.StatusCode
}

func TestDigestReplayIsRefusedNotCounted(t *testing.T) {
	cam := simtest.NewCamera(t, "cam", "127.0.0.34", isapisim.Config{Model: "m", LockoutAttempts: 1, LockoutDuration: time.Hour})
	if code, _ := activate(t, cam.URL, "Abcdefg1", nulPad); code != 200 {
		t.Fatal("activation failed")
	}
	resp, _ := call(t, "GET", cam.URL+"/ISAPI/System/deviceInfo", nil)
	_, rest := wire.SplitScheme(resp.Header.Get("WWW-Authenticate"))
	p, _ := wire.ParseParams(rest)
	if !strings.Contains(p["realm"], "IP Camera(m)") {
		t.Fatalf("realm %q", p["realm"])
	}
	h, _ := wire.Authorization(p, "admin", "Abcdefg1", "GET", "/ISAPI/System/deviceInfo", 1, "cafe")
	if resp, _ := call(t, "GET", cam.URL+"/ISAPI/System/deviceInfo", nil, "Authorization", h); resp.StatusCode != 200 {
		t.Fatalf("first use: %d", resp.StatusCode)
	}
	resp, _ = call(t, "GET", cam.URL+"/ISAPI/System/deviceInfo", nil, "Authorization", h)
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "stale=TRUE") {
		t.Fatalf("replay: %d %q; want a stale challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// Lockout of 1 attempt: had the replay counted, this would be locked.
	if code := digestGet(t, cam.URL, "/ISAPI/System/deviceInfo", "admin", "Abcdefg1"); code != 200 {
		t.Fatalf("after replay: %d; the replay was counted as a failed login", code)
	}
	// A URI that differs from the request is refused.
	h, _ = wire.Authorization(p, "admin", "Abcdefg1", "GET", "/other", 2, "cafe")
	if resp, _ := call(t, "GET", cam.URL+"/ISAPI/System/deviceInfo", nil, "Authorization", h); resp.StatusCode != 400 {
		t.Fatalf("uri mismatch: %d", resp.StatusCode)
	}
}

func TestPowerOffIsSilence(t *testing.T) {
	cam := simtest.NewCamera(t, "cam", "127.0.0.35", isapisim.Config{Model: "m"})
	cam.PowerOff()
	if _, err := httpc.Get(cam.URL + "/SDK/activateStatus"); err == nil {
		t.Fatal("an unpowered unit answered")
	}
	cam.PowerOn()
	cam.WaitUp(t)
	if resp, _ := call(t, "GET", cam.URL+"/SDK/activateStatus", nil); resp.StatusCode != 200 {
		t.Fatal("no answer after power on")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, c := range []isapisim.Config{
		{Addr: "192.168.1.64:80", Model: "m"},
		{Addr: "0.0.0.0:80", Model: "m"},
		{Addr: "localhost:80", Model: "m"},
		{Addr: "127.0.0.1:80"},
		{Addr: "127.0.0.1:80", Model: "m", NotActivatedStatus: 404},
		{Addr: "127.0.0.1:80", Model: "m", LockoutAttempts: 3},
		{Addr: "127.0.0.1:80", Model: "m", LockoutScope: "mac"},
		{Addr: "127.0.0.1:80", Model: "m", Timescale: 2},
	} {
		if _, err := isapisim.New(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if _, err := isapisim.New(isapisim.Config{Addr: "[::1]:80", Model: "m"}); err != nil {
		t.Errorf("::1: %v", err)
	}
}
