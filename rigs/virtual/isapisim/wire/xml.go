// Package wire is the device side's own reading of the ISAPI wire formats:
// strict XML, HTTP Digest (RFC 7616/2617, MD5) and the legacy activation
// crypto. The virtual units (isapisim) and the virtual NVR (nvrsim) share
// it; the harness has its own implementation, so the two cross-check each
// other instead of sharing one set of assumptions.
package wire

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// ISAPI XML namespaces: older firmware uses hikvision.com, newer isapi.org.
const (
	NamespaceHikvision = "http://www.hikvision.com/ver20/XMLSchema"
	NamespaceISAPI     = "http://www.isapi.org/ver20/XMLSchema"
)

// ContentType is what the devices answer with.
const ContentType = `application/xml; charset="UTF-8"`

// Decode parses body strictly: UTF-8, well-formed, no DTD, one root element
// named root in no namespace or one of the two ISAPI namespaces, nothing
// but whitespace, comments or processing instructions around it.
func Decode(body []byte, root string, out any) error {
	if !utf8.Valid(body) {
		return errors.New("body is not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	seen := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if !seen {
				return fmt.Errorf("no <%s> element", root)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("invalid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if seen {
				return errors.New("more than one root element")
			}
			if t.Name.Local != root {
				return fmt.Errorf("root element <%s>, want <%s>", t.Name.Local, root)
			}
			if ns := t.Name.Space; ns != "" && ns != NamespaceHikvision && ns != NamespaceISAPI {
				return fmt.Errorf("unknown namespace %q", ns)
			}
			if err := d.DecodeElement(out, &t); err != nil {
				return fmt.Errorf("invalid <%s>: %w", root, err)
			}
			seen = true
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return errors.New("text outside the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return fmt.Errorf("unexpected %T outside the root element", tok)
		}
	}
}

// Text escapes s for element content.
func Text(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Element renders <name>text</name>.
func Element(name, text string) string { return "<" + name + ">" + Text(text) + "</" + name + ">" }

// Document renders an XML document with root in namespace ns ("" for
// none) around the already-rendered inner elements.
func Document(root, ns string, inner ...string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<" + root)
	if ns != "" {
		b.WriteString(` version="2.0" xmlns="` + ns + `"`)
	}
	b.WriteString(">\n")
	for _, e := range inner {
		b.WriteString(e + "\n")
	}
	b.WriteString("</" + root + ">\n")
	return []byte(b.String())
}

// ResponseStatus is the device's generic reply.
type ResponseStatus struct {
	RequestURL    string `xml:"requestURL"`
	StatusCode    int    `xml:"statusCode"`
	StatusString  string `xml:"statusString"`
	SubStatusCode string `xml:"subStatusCode"`
	ErrorMsg      string `xml:"errorMsg"`
}

// StatusStrings are the statusString of each statusCode.
var StatusStrings = map[int]string{
	1: "OK", 2: "Device Busy", 3: "Device Error", 4: "Invalid Operation",
	5: "Invalid XML Format", 6: "Invalid XML Content", 7: "Reboot Required",
}

// Render renders r in namespace ns.
func (r ResponseStatus) Render(ns string) []byte {
	if r.StatusString == "" {
		r.StatusString = StatusStrings[r.StatusCode]
	}
	inner := []string{
		Element("requestURL", r.RequestURL),
		Element("statusCode", fmt.Sprint(r.StatusCode)),
		Element("statusString", r.StatusString),
		Element("subStatusCode", r.SubStatusCode),
	}
	if r.ErrorMsg != "" {
		inner = append(inner, Element("errorMsg", r.ErrorMsg))
	}
	return Document("ResponseStatus", ns, inner...)
}

// ParseResponseStatus parses a <ResponseStatus> (statusCode 1..7).
func ParseResponseStatus(body []byte) (ResponseStatus, error) {
	var r ResponseStatus
	if err := Decode(body, "ResponseStatus", &r); err != nil {
		return r, err
	}
	if r.StatusCode < 1 || r.StatusCode > 7 {
		return r, fmt.Errorf("statusCode %d out of range", r.StatusCode)
	}
	return r, nil
}

// ActivateStatus is GET /SDK/activateStatus.
type ActivateStatus struct {
	Activated string `xml:"Activated"`
}

// ParseActivateStatus returns the Activated flag.
func ParseActivateStatus(body []byte) (bool, error) {
	var a ActivateStatus
	if err := Decode(body, "ActivateStatus", &a); err != nil {
		return false, err
	}
	switch strings.TrimSpace(a.Activated) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errors.New("<Activated> is not true or false")
}

// PublicKey is the body of POST /ISAPI/Security/challenge and its reply.
type PublicKey struct {
	Key string `xml:"key"`
}

// ParsePublicKey returns the key text.
func ParsePublicKey(body []byte) (string, error) {
	var p PublicKey
	if err := Decode(body, "PublicKey", &p); err != nil {
		return "", err
	}
	if k := strings.TrimSpace(p.Key); k != "" {
		return k, nil
	}
	return "", errors.New("<PublicKey> has no <key>")
}

// ActivateInfo is the body of PUT /ISAPI/System/activate.
type ActivateInfo struct {
	Password string `xml:"password"`
}

// ParseActivateInfo returns the encrypted password text.
func ParseActivateInfo(body []byte) (string, error) {
	var a ActivateInfo
	if err := Decode(body, "ActivateInfo", &a); err != nil {
		return "", err
	}
	if p := strings.TrimSpace(a.Password); p != "" {
		return p, nil
	}
	return "", errors.New("<ActivateInfo> has no <password>")
}

// DeviceInfoName is the one writable field of a PUT /ISAPI/System/deviceInfo.
type DeviceInfoName struct {
	DeviceName *string `xml:"deviceName"`
}

// ParseDeviceName returns deviceName from a <DeviceInfo>.
func ParseDeviceName(body []byte) (string, error) {
	var d DeviceInfoName
	if err := Decode(body, "DeviceInfo", &d); err != nil {
		return "", err
	}
	if d.DeviceName == nil {
		return "", errors.New("<DeviceInfo> has no <deviceName>")
	}
	return strings.TrimSpace(*d.DeviceName), nil
}
