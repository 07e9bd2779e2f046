package bindcheck

import (
	"strings"
	"testing"
)

func TestAddresses(t *testing.T) {
	bench, virtual := Scope{}, Scope{LoopbackOnly: true}
	cases := []struct {
		name string
		err  error
		want string // "" = accepted
	}{
		{"device path", DevicePath("/dev/ttyACM0"), ""},
		{"device path missing", DevicePath(""), "port is required"},
		{"device path relative", DevicePath("ttyACM0"), "want an absolute device path"},
		{"addr path", Addr("/run/qmp.sock", bench, "QMP socket path", "unix", "tcp"), ""},
		{"addr unix", Addr("unix:///run/qmp.sock", bench, "QMP socket path", "unix", "tcp"), ""},
		{"addr unix relative", Addr("unix://run/qmp.sock", bench, "QMP socket path", "unix", "tcp"), "want unix:///absolute/path"},
		{"addr tcp", Addr("tcp://10.0.0.5:2217", bench, "a device path", "tcp"), ""},
		{"addr tcp virtual", Addr("tcp://10.0.0.5:2217", virtual, "a device path", "tcp"), "not a loopback address"},
		{"addr tcp loopback virtual", Addr("tcp://127.0.0.9:2217", virtual, "a device path", "tcp"), ""},
		{"addr tcp no port", Addr("tcp://127.0.0.1", bench, "a device path", "tcp"), "want tcp://host:port"},
		{"addr scheme", Addr("ssh://127.0.0.1:22", bench, "a device path", "tcp", "unix"), `scheme "ssh" not supported`},
		{"addr relative", Addr("ttyUSB0", bench, "a device path", "tcp"), "want an absolute device path or a tcp:// address"},
		{"url", URL("http://192.168.1.50", bench, "http", "https"), ""},
		{"url port", URL("http://192.168.1.50:99999", bench, "http"), "bad port"},
		{"url scheme", URL("ftp://192.168.1.50", bench, "http", "https"), `scheme "ftp" not supported (want http or https)`},
		{"url no host", URL("http://", bench, "http"), "has no host"},
		{"url credentials", URL("http://admin:pw@192.168.1.50", bench, "http"), "credentials in the URL are refused"},
		{"url virtual", URL("http://192.168.1.50", virtual, "http"), `host "192.168.1.50" is not a loopback address`},
		{"url localhost virtual", URL("http://localhost:8080", virtual, "http"), ""},
		{"url missing", URL("", bench, "http"), "URL is required"},
	}
	for _, c := range cases {
		switch {
		case c.want == "" && c.err != nil:
			t.Errorf("%s: refused: %v", c.name, c.err)
		case c.want != "" && (c.err == nil || !strings.Contains(c.err.Error(), c.want)):
			t.Errorf("%s: err = %v, want %q", c.name, c.err, c.want)
		}
	}
}

func TestProblems(t *testing.T) {
	var ps Problems
	Range(&ps, "channel", 9, 1, 8, "")
	Range(&ps, "channel", 0, 0, 32, "0 = the only relay")
	ps.Err("url", nil)
	ps.Err("port", DevicePath("tty"))
	ps.Add("", "needs on and off")
	want := []string{"channel: channel 9 out of range 1-8", `port: port "tty": want an absolute device path`, "needs on and off"}
	if len(ps) != len(want) {
		t.Fatalf("problems %v, want %v", ps, want)
	}
	for i, w := range want {
		if ps[i].String() != w {
			t.Errorf("problem %d = %q, want %q", i, ps[i], w)
		}
	}
	if !ps.Has("port") || ps.Has("url") {
		t.Errorf("Has: port %v url %v", ps.Has("port"), ps.Has("url"))
	}
}

// FuzzAddresses feeds rig-file strings through every check: none panics,
// and none echoes an address that may hold credentials.
func FuzzAddresses(f *testing.F) {
	for _, s := range []string{"/dev/ttyACM0", "tcp://127.0.0.1:1", "unix:///x", "http://a:b@h", "a:pw@host", "unix://u:pw@/x", "%zz", "http://[::1]:80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, err := range []error{
			DevicePath(s),
			Addr(s, Scope{LoopbackOnly: true}, "a device path", "tcp", "rfc2217", "unix"),
			URL(s, Scope{LoopbackOnly: true}, "http", "https"),
		} {
			if err == nil || !strings.Contains(s, "@") {
				continue
			}
			if shown := strings.ReplaceAll(err.Error(), SafeURL("@"), ""); strings.Contains(shown, s) {
				t.Fatalf("%q: error echoes an address with '@': %v", s, err)
			}
		}
	})
}
