package nvrsim

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"

	"github.com/camrig/camrig/rigs/virtual/isapisim/wire"
)

func (n *NVR) api() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /SDK/activateStatus", func(w http.ResponseWriter, r *http.Request) {
		write(w, http.StatusOK, wire.Document("ActivateStatus", "", wire.Element("Activated", "true")))
	})
	mux.HandleFunc("GET /ISAPI/ContentMgmt/InputProxy/channels", n.authed(n.channelList))
	mux.HandleFunc("GET /ISAPI/ContentMgmt/InputProxy/channels/status", n.authed(n.channelStatus))
	mux.HandleFunc("GET /ISAPI/System/deviceInfo", n.authed(n.deviceInfo))
	mux.HandleFunc("/", n.authed(func(w http.ResponseWriter, r *http.Request) {
		status(w, r, http.StatusNotFound, 4, "notSupport")
	}))
	return mux
}

func write(w http.ResponseWriter, code int, body []byte) {
	w.Header().Set("Content-Type", wire.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	w.Write(body)
}

func status(w http.ResponseWriter, r *http.Request, httpCode, code int, sub string) {
	write(w, httpCode, wire.ResponseStatus{RequestURL: r.URL.Path, StatusCode: code, SubStatusCode: sub}.Render(wire.NamespaceHikvision))
}

// authed wraps h in Digest authentication against the NVR's own account.
func (n *NVR) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if n.verify(r) {
			h(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", wire.WWWAuthenticate(n.realm, n.nonces.Issue(), false))
		status(w, r, http.StatusUnauthorized, 4, "unauthorized")
	}
}

func (n *NVR) verify(r *http.Request) bool {
	scheme, rest := wire.SplitScheme(r.Header.Get("Authorization"))
	if !strings.EqualFold(scheme, "Digest") {
		return false
	}
	p, err := wire.ParseParams(rest)
	if err != nil || p["username"] != n.cfg.User || p["realm"] != n.realm || p["uri"] != r.RequestURI || p["qop"] != "auth" || len(p["nc"]) != 8 {
		return false
	}
	nc, err := strconv.ParseUint(p["nc"], 16, 32)
	if err != nil || !n.nonces.Use(p["nonce"], nc) {
		return false
	}
	want := wire.Response(wire.HA1(n.cfg.User, n.realm, n.cfg.Password), p["nonce"], p["nc"], p["cnonce"], "auth", r.Method, p["uri"])
	return subtle.ConstantTimeCompare([]byte(want), []byte(p["response"])) == 1
}

func (n *NVR) source(c ChannelState) string {
	return "<sourceInputPortDescriptor>" +
		wire.Element("proxyProtocol", "HIKVISION") +
		wire.Element("addressingFormatType", "ipaddress") +
		wire.Element("ipAddress", c.IP) +
		wire.Element("managePortNo", "8000") +
		wire.Element("srcInputPort", "1") +
		wire.Element("userName", n.cfg.CameraUser) +
		wire.Element("streamType", "auto") +
		"</sourceInputPortDescriptor>"
}

func (n *NVR) channelList(w http.ResponseWriter, r *http.Request) {
	var items []string
	for _, c := range n.Channels() {
		items = append(items, "<InputProxyChannel>"+
			wire.Element("id", strconv.Itoa(c.ID))+
			wire.Element("name", "IPCamera "+twoDigits(c.ID))+
			n.source(c)+
			"</InputProxyChannel>")
	}
	write(w, http.StatusOK, wire.Document("InputProxyChannelList", wire.NamespaceHikvision, items...))
}

func (n *NVR) channelStatus(w http.ResponseWriter, r *http.Request) {
	var items []string
	for _, c := range n.Channels() {
		items = append(items, "<InputProxyChannelStatus>"+
			wire.Element("id", strconv.Itoa(c.ID))+
			n.source(c)+
			wire.Element("online", strconv.FormatBool(c.Online))+
			wire.Element("chanDetectResult", c.Detect)+
			"</InputProxyChannelStatus>")
	}
	write(w, http.StatusOK, wire.Document("InputProxyChannelStatusList", wire.NamespaceHikvision, items...))
}

func (n *NVR) deviceInfo(w http.ResponseWriter, r *http.Request) {
	write(w, http.StatusOK, wire.Document("DeviceInfo", wire.NamespaceHikvision,
		wire.Element("deviceName", n.cfg.Name),
		wire.Element("model", "virtual NVR"),
		wire.Element("deviceType", "NVR"),
		wire.Element("firmwareVersion", "V4.30.085"),
		wire.Element("manufacturer", "camrig virtual"),
	))
}

func twoDigits(i int) string {
	if i < 10 {
		return "0" + strconv.Itoa(i)
	}
	return strconv.Itoa(i)
}
