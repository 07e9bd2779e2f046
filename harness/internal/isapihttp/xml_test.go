package isapihttp

import "testing"

func TestDecodeNamespaces(t *testing.T) {
	type x struct {
		V string `xml:"v"`
	}
	for ns, ok := range map[string]bool{"": true, NamespaceHikvision: true, NamespaceISAPI: true, "http://www.isapi.org/ver10/XMLSchema": false} {
		body := `<R><v>1</v></R>`
		if ns != "" {
			body = `<R xmlns="` + ns + `"><v>1</v></R>`
		}
		var out x
		got, err := Decode([]byte(body), "R", &out)
		if (err == nil) != ok || (ok && (got != ns || out.V != "1")) {
			t.Errorf("namespace %q: %q, %v", ns, got, err)
		}
	}
}

func TestContentType(t *testing.T) {
	for ct, ok := range map[string]bool{
		`application/xml; charset="UTF-8"`: true, "text/xml": true, "application/xml": true,
		"text/html": false, "": false, "application/xmlx": false, "application/json": false,
	} {
		if IsXMLContentType(ct) != ok {
			t.Errorf("%q: want %v", ct, ok)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`<R><v>1</v></R>`, `<R xmlns="` + NamespaceISAPI + `"/>`, `<?xml version="1.0"?><R/><!--x-->`, `<!DOCTYPE R><R/>`, `<R><v>&amp;</v></R>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var out struct {
			V string `xml:"v"`
		}
		ns, err := Decode(b, "R", &out)
		if err == nil && !AcceptedNamespace(ns) {
			t.Fatalf("accepted namespace %q", ns)
		}
	})
}
