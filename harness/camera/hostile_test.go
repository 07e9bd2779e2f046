package camera_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/secret"
)

// A hostile or broken peer costs bounded time and memory and gives a typed
// error. The per-call timeout is short; the bound asserted is generous, so
// the test proves "bounded", not "fast".
func TestHostileServer(t *testing.T) {
	const timeout = 300 * time.Millisecond
	const bound = 5 * time.Second
	var otherHostHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHostHits.Add(1) }))
	defer other.Close()
	otherURL := strings.Replace(other.URL, "127.0.0.1", "127.0.0.2", 1)

	xmlCT := `application/xml; charset="UTF-8"`
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
		want    string
	}{
		{"slow drip body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			for i := 0; r.Context().Err() == nil; i++ {
				w.Write([]byte("<"))
				http.NewResponseController(w).Flush()
				select {
				case <-r.Context().Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		}, isDeadline, "deadline"},
		{"headers never come", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, isDeadline, "deadline"},
		{"endless body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			chunk := []byte(strings.Repeat("<a>", 4096))
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, isJunk, "limit"},
		{"huge content-length", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Header().Set("Content-Length", "1073741824")
			w.Write([]byte("<ActivateStatus>"))
		}, isJunk, "limit"},
		{"invalid XML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Write([]byte("<ActivateStatus><Activated>true</Activated>"))
		}, isJunk, "XML syntax error"},
		{"wrong root", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Write([]byte("<Status><Activated>true</Activated></Status>"))
		}, isJunk, "root element"},
		{"unknown namespace", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Write([]byte(`<ActivateStatus xmlns="urn:evil"><Activated>true</Activated></ActivateStatus>`))
		}, isJunk, "namespace"},
		{"doctype", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Write([]byte(`<!DOCTYPE x [<!ENTITY a "aaaa">]><ActivateStatus><Activated>true</Activated></ActivateStatus>`))
		}, isJunk, "DTD"},
		{"wrong content type", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<ActivateStatus><Activated>true</Activated></ActivateStatus>"))
		}, isJunk, "content type"},
		{"not a boolean", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", xmlCT)
			w.Write([]byte("<ActivateStatus><Activated>maybe</Activated></ActivateStatus>"))
		}, isJunk, "not true or false"},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, isJunk, "redirects"},
		{"redirect to another host", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, otherURL+"/SDK/activateStatus", http.StatusFound)
		}, isJunk, "another host"},
		{"500 HTML", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(500)
			w.Write([]byte("<html>oops</html>"))
		}, isJunk, "HTTP 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			c, err := camera.New(camera.Config{Name: "hostile", URL: srv.URL, User: "admin", Password: secret.Literal(goodPassword), Timeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err = c.ActivationState(context.Background())
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !tc.check(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want a typed error mentioning %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), "camera hostile") {
				t.Errorf("error %q does not name the unit", err)
			}
			if took > bound {
				t.Errorf("took %s, want bounded by the %s call timeout", took, timeout)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("allocated %d bytes for one call", grew)
			}
		})
	}
	if n := otherHostHits.Load(); n != 0 {
		t.Fatalf("the other host was contacted %d times", n)
	}
}

func isJunk(err error) bool {
	var je *camera.JunkError
	return errors.Is(err, camera.ErrJunk) && errors.As(err, &je)
}

func isDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, camera.ErrJunk)
}

func TestBadConfig(t *testing.T) {
	for _, tc := range []camera.Config{
		{URL: "ftp://127.0.0.1", User: "admin"},
		{URL: "http://admin:pw@127.0.0.1", User: "admin"},
		{Name: "cam", URL: "http://admin:pw@127.0.0.1", User: "admin"},
		{URL: "http://admin:pw@127.0.0.1:x/%zz", User: "admin"},
		{URL: "http://127.0.0.1/ISAPI", User: "admin"},
		{URL: "http://127.0.0.1", User: ""},
		{URL: "http://", User: "admin"},
	} {
		if _, err := camera.New(tc); err == nil {
			t.Errorf("config %s accepted", fmt.Sprint(tc.URL, " user=", tc.User))
		} else if strings.Contains(err.Error(), ":pw@") {
			t.Errorf("error leaks the URL's password: %v", err)
		}
	}
}
