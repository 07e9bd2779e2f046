package bindcheck

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// A credential in a URL's query or fragment is refused naming its key; the
// value and the URL never appear in the message, nor in SafeURL's echo.
func TestQueryCredentialsAreRefusedUnshown(t *testing.T) {
	pw := fmt.Sprintf("Qz7-not-for-logs-%06x", rand.IntN(1<<24))
	for _, tt := range []struct{ raw, key string }{
		{"http://127.0.0.1/cm?user=admin&password=" + pw + "&cmnd=Power", "user=..., password=..."},
		{"http://127.0.0.1/?PWD=" + pw, "PWD=..."},
		{"http://127.0.0.1/#token=" + pw, "token=..."},
		{"http://127.0.0.1/?pass%77ord=" + pw, "password=..."},
		{"udp://127.0.0.1:161/?community=" + pw, "community=..."},
	} {
		u, err := url.Parse(tt.raw)
		if err != nil {
			t.Fatal(err)
		}
		err = NoQueryCredentials(u)
		if err == nil || !strings.Contains(err.Error(), "("+tt.key+")") || strings.Contains(err.Error(), pw) {
			t.Errorf("NoQueryCredentials(%s) = %v, want the keys %s and no value", tt.raw, err, tt.key)
		}
		if err := URL(tt.raw, Scope{}, "http", "udp"); err == nil || strings.Contains(err.Error(), pw) {
			t.Errorf("URL(%s) = %v", tt.raw, err)
		}
		if s := SafeURL(tt.raw); strings.Contains(s, pw) {
			t.Errorf("SafeURL echoed the password: %s", s)
		}
	}
	for _, raw := range []string{"http://127.0.0.1/cm?cmnd=Power", "http://127.0.0.1/path"} {
		u, _ := url.Parse(raw)
		if err := NoQueryCredentials(u); err != nil {
			t.Errorf("NoQueryCredentials(%s) = %v, want nil", raw, err)
		}
	}
}
