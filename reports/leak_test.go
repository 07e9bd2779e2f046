package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/harness/timeline"
	"github.com/camrig/camrig/reports"
)

// randomPassword has the characters XML, URLs and JSON escape, so each form
// differs from the raw one.
func randomPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := []byte(fmt.Sprintf("%c%c%c&%c%c<%c%c\"%c%c %c%c",
		alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))],
		alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))],
		alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))],
		alphabet[rand.IntN(len(alphabet))], alphabet[rand.IntN(len(alphabet))]))
	return string(b)
}

// echoForms are the ways a camera echoes the password back.
func echoForms(pw string) map[string]string {
	j, _ := json.Marshal(pw)
	var numeric strings.Builder
	for _, r := range pw {
		fmt.Fprintf(&numeric, "&#%d;", r)
	}
	return map[string]string{
		"raw": pw, "xml": html.EscapeString(pw), "numeric entities": numeric.String(),
		"query": url.QueryEscape(pw), "json": string(j[1 : len(j)-1]),
	}
}

// pieces are every 4 consecutive characters of pw.
func pieces(pw string) []string {
	var out []string
	for i := 0; i+4 <= len(pw); i++ {
		out = append(out, pw[i:i+4])
	}
	return out
}

// leaked returns the first piece of pw found in text as written, or after
// undoing XML entities, URL query encoding or Go/JSON quoting.
func leaked(text, pw string) string {
	views := []string{text, html.UnescapeString(text)}
	if u, err := url.QueryUnescape(text); err == nil {
		views = append(views, u)
	}
	if u, err := strconv.Unquote(`"` + strings.ReplaceAll(text, `"`, `\"`) + `"`); err == nil {
		views = append(views, u)
	}
	for _, v := range views {
		for _, p := range pieces(pw) {
			if strings.Contains(v, p) {
				return p
			}
		}
	}
	return ""
}

// A fake camera echoes the unit's random password in every form, placed at
// every offset around the 40-character and 64-byte excerpt limits, in the
// places a camera puts text: a non-XML body, a ResponseStatus errorMsg, a
// malformed value. Whatever the client makes of it -- the error, its debug
// log, the unit's timeline, and the HTML report showing the failure and the
// timeline -- holds no 4 consecutive characters of the password.
func TestNoPieceOfAnEchoedPasswordReachesAnErrorLogOrReport(t *testing.T) {
	pw := randomPassword()
	var reply atomic.Value // func(http.ResponseWriter)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply.Load().(func(http.ResponseWriter))(w)
	}))
	defer srv.Close()

	var log bytes.Buffer
	tl := timeline.New("cam1")
	cam, err := camera.New(camera.Config{Name: "cam1", URL: srv.URL, User: "admin", Password: secret.Literal(pw),
		Timeout: 5 * time.Second, Timeline: tl,
		Log: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()

	places := map[string]func(echo string) func(http.ResponseWriter){
		"text body": func(echo string) func(http.ResponseWriter) {
			return func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "text/plain")
				fmt.Fprint(w, echo)
			}
		},
		"errorMsg": func(echo string) func(http.ResponseWriter) {
			return func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">`+
					`<requestURL>/ISAPI/System/deviceInfo</requestURL><statusCode>4</statusCode><statusString>Invalid Operation</statusString>`+
					`<subStatusCode>invalidOperation</subStatusCode><errorMsg>%s</errorMsg></ResponseStatus>`, echo)
			}
		},
		"malformed value": func(echo string) func(http.ResponseWriter) {
			return func(w http.ResponseWriter) {
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">`+
					`<statusCode>%s</statusCode></ResponseStatus>`, echo)
			}
		},
	}
	var failures []string
	checked := 0
	for place, build := range places {
		for form, echoed := range echoForms(pw) {
			for pad := 0; pad <= 80; pad++ {
				echo := strings.Repeat("x", pad) + echoed + strings.Repeat("y", 80)
				reply.Store(build(echo))
				_, err := cam.DeviceInfo(context.Background())
				if err == nil {
					t.Fatalf("%s, %s at %d: the fake camera's reply was accepted", place, form, pad)
				}
				checked++
				if p := leaked(err.Error(), pw); p != "" {
					t.Fatalf("%s, %s at offset %d: the error shows %q of the password:\n%v", place, form, pad, p, err)
				}
				failures = append(failures, err.Error())
			}
		}
	}
	if p := leaked(log.String(), pw); p != "" {
		t.Fatalf("the client's log shows %q of the password", p)
	}
	var tlJSON bytes.Buffer
	if err := tl.WriteJSON(&tlJSON); err != nil {
		t.Fatal(err)
	}
	if p := leaked(tlJSON.String(), pw); p != "" {
		t.Fatalf("the timeline shows %q of the password", p)
	}
	var specs []types.SpecReport
	for i, msg := range failures {
		entries := []types.ReportEntry{entry(reports.EntryUnit, "cam1")}
		if i == 0 {
			entries = append(entries, entry(reports.EntryTimeline, tl.Events()))
		}
		s := spec(fmt.Sprintf("device info %d", i), types.SpecStateFailed, entries...)
		s.Failure = types.Failure{Message: msg}
		specs = append(specs, s)
	}
	page := render(t, roundTrip(t, report(specs...)))
	if p := leaked(page, pw); p != "" {
		t.Fatalf("the report shows %q of the password", p)
	}
	t.Logf("%d echoed replies; errors, %d bytes of log, %d timeline events and a %d-byte report hold no piece of the password",
		checked, log.Len(), len(tl.Events()), len(page))
}

// Redact, the last line of defence before a report is written, removes the
// rig's secrets in any form from every string the report holds: failure
// messages, entries, captured output, and a timeline's details.
func TestRedactRemovesSecretsFromEveryStringOfAReport(t *testing.T) {
	pw := randomPassword()
	forms := echoForms(pw)
	var all []string
	for _, f := range forms {
		all = append(all, f)
	}
	tl := timeline.New("cam1")
	tl.Mark(t0, timeline.Console, "match", "login ok with "+forms["raw"])
	s := spec("activates", types.SpecStateFailed, entry(reports.EntryUnit, "cam1"), entry(reports.EntryTimeline, tl.Events()),
		entry("note", "device said "+strings.Join(all, " / ")))
	s.Failure = types.Failure{Message: "expected activation, device said: " + strings.Join(all, " | ")}
	s.CapturedStdOutErr = "stdout " + forms["json"]
	rep := report(s)
	if leaked(render(t, rep), pw) == "" {
		t.Fatal("precondition: the unredacted report shows the password")
	}
	red, err := reports.Redact(rep, secret.NewValueMatcher(pw))
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]types.Report{"in-process": red, "json file": roundTrip(t, red)} {
		page := render(t, r)
		if p := leaked(page, pw); p != "" {
			i := strings.Index(html.UnescapeString(page), p)
			u := html.UnescapeString(page)
			t.Fatalf("%s: the redacted report shows %q of the password (%q): ...%s...", name, p, pw, u[max(0, i-200):min(len(u), i+100)])
		}
		raw, _ := json.Marshal(r)
		if p := leaked(string(raw), pw); p != "" {
			i := strings.Index(string(raw), p[1:])
			t.Fatalf("%s: the redacted report's JSON holds %q of the password %q: ...%s...", name, p, pw, string(raw)[max(0, i-300):min(len(raw), i+100)])
		}
		if !strings.Contains(r.SpecReports[0].Failure.Message, secret.Redacted) {
			t.Fatalf("%s: failure message %q shows no redaction", name, r.SpecReports[0].Failure.Message)
		}
	}
}
