package isapihttp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The two XML namespaces ISAPI devices use; older firmware says
// hikvision.com, newer isapi.org. Some replies carry none at all.
const (
	NamespaceHikvision = "http://www.hikvision.com/ver20/XMLSchema"
	NamespaceISAPI     = "http://www.isapi.org/ver20/XMLSchema"
)

// SubNotActivated is the subStatusCode of an inactive unit's refusal.
const SubNotActivated = "notActivated"

// AcceptedNamespace reports whether ns is one an ISAPI root element may
// carry.
func AcceptedNamespace(ns string) bool {
	return ns == "" || ns == NamespaceHikvision || ns == NamespaceISAPI
}

// IsXMLContentType accepts application/xml and text/xml with any
// parameters (devices send `application/xml; charset="UTF-8"`).
func IsXMLContentType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/xml" || mt == "text/xml")
}

// Decode parses body strictly: UTF-8, well-formed, no DTD, exactly one root
// element named root in an accepted namespace, nothing but whitespace,
// comments and processing instructions around it. Unknown child elements
// are ignored (firmware versions add fields); required fields are checked
// by the caller. It returns the root's namespace.
func Decode(body []byte, root string, out any) (string, error) {
	if !utf8.Valid(body) {
		return "", errors.New("body is not UTF-8")
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	var ns string
	found := false
	for !found {
		tok, err := d.Token()
		if err == io.EOF {
			return "", fmt.Errorf("no <%s> element", root)
		}
		if err != nil {
			return "", fmt.Errorf("invalid XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != root {
				return "", fmt.Errorf("root element is <%s>, want <%s>", t.Name.Local, root)
			}
			if !AcceptedNamespace(t.Name.Space) {
				return "", fmt.Errorf("<%s> in unknown namespace %q", root, t.Name.Space)
			}
			ns = t.Name.Space
			if err := d.DecodeElement(out, &t); err != nil {
				return "", fmt.Errorf("invalid <%s>: %w", root, err)
			}
			found = true
		case xml.Directive:
			return "", errors.New("DTD or directive not allowed")
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return "", errors.New("text outside the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return "", errors.New("unexpected XML token before the root element")
		}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return ns, nil
		}
		if err != nil {
			return "", fmt.Errorf("invalid XML after <%s>: %w", root, err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return "", errors.New("text after the root element")
			}
		case xml.Comment, xml.ProcInst:
		default:
			return "", fmt.Errorf("content after the root element <%s>", root)
		}
	}
}

// ParseInt parses a decimal field (surrounding whitespace allowed); name
// is for the error.
func ParseInt(name, s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("<%s> %q is not an integer", name, s)
	}
	return n, nil
}

// ParseBool accepts exactly true or false (surrounding whitespace allowed).
func ParseBool(name, s string) (bool, error) {
	switch strings.TrimSpace(s) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("<%s> %q is not true or false", name, strings.TrimSpace(s))
}

// clip bounds a quoted device value in an error message.
// clip shortens a value for a message. Only ever clip text that is already
// scrubbed (the client scrubs a parse error's reason whole, then clips it):
// parse errors below quote values whole for that reason.
func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// ResponseStatus is the device's generic reply to a write or a refusal.
type ResponseStatus struct {
	RequestURL    string
	StatusCode    int
	StatusString  string
	SubStatusCode string
	ErrorMsg      string
}

// ResponseStatus codes.
const (
	StatusOK             = 1
	StatusDeviceBusy     = 2
	StatusDeviceError    = 3
	StatusInvalidOp      = 4
	StatusInvalidXML     = 5
	StatusInvalidContent = 6
	StatusRebootRequired = 7
)

type responseStatusXML struct {
	RequestURL    string  `xml:"requestURL"`
	StatusCode    *string `xml:"statusCode"`
	StatusString  string  `xml:"statusString"`
	SubStatusCode string  `xml:"subStatusCode"`
	ErrorMsg      string  `xml:"errorMsg"`
}

// ParseResponseStatus parses a <ResponseStatus>; statusCode must be 1..7.
func ParseResponseStatus(body []byte) (ResponseStatus, error) {
	var x responseStatusXML
	if _, err := Decode(body, "ResponseStatus", &x); err != nil {
		return ResponseStatus{}, err
	}
	if x.StatusCode == nil {
		return ResponseStatus{}, errors.New("<ResponseStatus> has no <statusCode>")
	}
	code, err := ParseInt("statusCode", *x.StatusCode)
	if err != nil {
		return ResponseStatus{}, err
	}
	if code < 1 || code > 7 {
		return ResponseStatus{}, fmt.Errorf("<statusCode> %d out of range 1..7", code)
	}
	return ResponseStatus{
		RequestURL:    strings.TrimSpace(x.RequestURL),
		StatusCode:    code,
		StatusString:  strings.TrimSpace(x.StatusString),
		SubStatusCode: strings.TrimSpace(x.SubStatusCode),
		ErrorMsg:      strings.TrimSpace(x.ErrorMsg),
	}, nil
}

// UserCheck is the device's login verdict (GET /ISAPI/Security/userCheck,
// and the body of a refused login).
type UserCheck struct {
	// StatusValue is 200 for a good login, 401 for a refused one.
	StatusValue  int
	StatusString string
	// IllegalLogin: this attempt counted as a failed login.
	IllegalLogin bool
	// Locked: lockStatus was "lock".
	Locked bool
	// UnlockSeconds is unlockTime: seconds (device time) until the lock ends.
	UnlockSeconds int
	// RetriesLeft is retryLoginTime, -1 when absent.
	RetriesLeft int
}

type userCheckXML struct {
	StatusValue    *string `xml:"statusValue"`
	StatusString   string  `xml:"statusString"`
	IsIllegalLogin *string `xml:"isIllegalLogin"`
	LockStatus     *string `xml:"lockStatus"`
	UnlockTime     *string `xml:"unlockTime"`
	RetryLoginTime *string `xml:"retryLoginTime"`
}

// ParseUserCheck parses a <userCheck>.
func ParseUserCheck(body []byte) (UserCheck, error) {
	var x userCheckXML
	if _, err := Decode(body, "userCheck", &x); err != nil {
		return UserCheck{}, err
	}
	if x.StatusValue == nil {
		return UserCheck{}, errors.New("<userCheck> has no <statusValue>")
	}
	var u UserCheck
	var err error
	if u.StatusValue, err = ParseInt("statusValue", *x.StatusValue); err != nil {
		return UserCheck{}, err
	}
	u.StatusString = strings.TrimSpace(x.StatusString)
	if x.IsIllegalLogin != nil {
		if u.IllegalLogin, err = ParseBool("isIllegalLogin", *x.IsIllegalLogin); err != nil {
			return UserCheck{}, err
		}
	}
	if x.LockStatus != nil {
		switch v := strings.TrimSpace(*x.LockStatus); v {
		case "lock":
			u.Locked = true
		case "unlock":
		default:
			return UserCheck{}, fmt.Errorf("<lockStatus> %q is not lock or unlock", v)
		}
	}
	if x.UnlockTime != nil {
		if u.UnlockSeconds, err = ParseInt("unlockTime", *x.UnlockTime); err != nil {
			return UserCheck{}, err
		}
		if u.UnlockSeconds < 0 {
			return UserCheck{}, fmt.Errorf("<unlockTime> %d is negative", u.UnlockSeconds)
		}
	}
	u.RetriesLeft = -1
	if x.RetryLoginTime != nil {
		if u.RetriesLeft, err = ParseInt("retryLoginTime", *x.RetryLoginTime); err != nil {
			return UserCheck{}, err
		}
		if u.RetriesLeft < 0 {
			return UserCheck{}, fmt.Errorf("<retryLoginTime> %d is negative", u.RetriesLeft)
		}
	}
	return u, nil
}
