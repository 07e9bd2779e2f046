package isapisim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/rigs/virtual/device"
	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

type storeHost struct{ st *device.Store }

func (h storeHost) Name() string          { return "fuzz" }
func (h storeHost) Model() string         { return "m" }
func (h storeHost) Reboot(string)         {}
func (h storeHost) FactoryReset(bool)     {}
func (h storeHost) Config() *device.Store { return h.st }

// FuzzServe throws arbitrary requests at a unit. Without the password no
// request may activate an inactive unit, change its name, or ask for a
// reboot or reset; every reply is XML.
func FuzzServe(f *testing.F) {
	f.Add("GET", "/ISAPI/System/deviceInfo", `Digest username="admin", realm="IP Camera(m)", nonce="00", uri="/ISAPI/System/deviceInfo", qop=auth, nc=00000001, cnonce="c", response="0"`, []byte(""), true)
	f.Add("PUT", "/ISAPI/System/activate", "", []byte(`<ActivateInfo><password>MDA=</password></ActivateInfo>`), false)
	f.Add("POST", "/ISAPI/Security/challenge", "", []byte(`<PublicKey><key>MDA=</key></PublicKey>`), false)
	f.Add("PUT", "/ISAPI/System/factoryReset?mode=full", "Digest ,,,", []byte(""), true)
	f.Add("PUT", "/ISAPI/System/deviceInfo", "Basic YWRtaW46YQ==", []byte(`<DeviceInfo><deviceName>x</deviceName></DeviceInfo>`), true)
	f.Fuzz(func(t *testing.T, method, target, auth string, body []byte, active bool) {
		req, err := http.NewRequest(method, "http://127.0.0.1"+target, bytes.NewReader(body))
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		req.RequestURI = target
		req.RemoteAddr = "127.0.0.1:1234"
		req.Header.Set("Authorization", auth)
		st, _ := device.OpenStore("")
		if active {
			users, _ := json.Marshal(map[string]userRecord{"admin": {Realm: "IP Camera(m)", HA1: wire.HA1("admin", "IP Camera(m)", "Secret-Pass1")}})
			st.Update(func(m map[string]string) { m[KeyActivated] = "true"; m[KeyUsers] = string(users) })
		}
		s, err := New(Config{Addr: "127.0.0.1:1", Model: "m", LockoutAttempts: 3, LockoutDuration: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		u := newUnit(s, storeHost{st})
		rec := httptest.NewRecorder()
		u.ServeHTTP(rec, req)
		if ct := rec.Header().Get("Content-Type"); ct != wire.ContentType {
			t.Fatalf("content type %q", ct)
		}
		if v, _ := st.Get(KeyActivated); (v == "true") != active {
			t.Fatal("activation state changed without the password")
		}
		if _, named := st.Get(KeyDeviceName); named {
			t.Fatal("device name changed without the password")
		}
		if len(u.actions) != 0 {
			t.Fatal("reboot or reset requested without the password")
		}
	})
}
