package camera_test

import (
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/camera"
)

func TestParseActivateStatus(t *testing.T) {
	for _, tc := range []struct {
		body string
		want bool
		ok   bool
	}{
		{`<ActivateStatus><Activated>true</Activated></ActivateStatus>`, true, true},
		{`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<ActivateStatus xmlns="http://www.hikvision.com/ver20/XMLSchema"><Activated> false </Activated></ActivateStatus>`, false, true},
		{`<ActivateStatus xmlns="http://www.isapi.org/ver20/XMLSchema"><Activated>true</Activated><extra/></ActivateStatus><!-- c -->`, true, true},
		{`<ActivateStatus><Activated>TRUE</Activated></ActivateStatus>`, false, false},
		{`<ActivateStatus></ActivateStatus>`, false, false},
		{`<ActivateStatus xmlns="http://example.com/"><Activated>true</Activated></ActivateStatus>`, false, false},
		{`<ActivateStatus><Activated>true</Activated></ActivateStatus><x/>`, false, false},
		{`junk<ActivateStatus><Activated>true</Activated></ActivateStatus>`, false, false},
		{`<?xml version="1.0" encoding="ISO-8859-1"?><ActivateStatus><Activated>true</Activated></ActivateStatus>`, false, false},
		{"", false, false},
	} {
		got, err := camera.ParseActivateStatus([]byte(tc.body))
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("%q: %v, %v; want %v ok=%v", tc.body, got, err, tc.want, tc.ok)
		}
	}
}

func TestParseDeviceInfo(t *testing.T) {
	body := `<?xml version="1.0" encoding="UTF-8"?>
<DeviceInfo version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<deviceName>IP CAMERA</deviceName><deviceID>88</deviceID><model>DS-2CD2043G0-I</model>
<serialNumber>DS-2CD2043G0-I20180725AAWRC12345678</serialNumber><macAddress>44:19:b6:00:00:01</macAddress>
<firmwareVersion>V5.5.71</firmwareVersion><firmwareReleasedDate>build 180725</firmwareReleasedDate>
<bootVersion>V1.3.4</bootVersion><hardwareVersion>0x0</hardwareVersion><deviceType>IPCamera</deviceType>
<manufacturer>Hikvision</manufacturer><telecontrolID>88</telecontrolID></DeviceInfo>`
	info, err := camera.ParseDeviceInfo([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if info.DeviceName != "IP CAMERA" || info.FirmwareVersion != "V5.5.71" || info.FirmwareReleasedDate != "build 180725" ||
		info.DeviceType != "IPCamera" || info.MACAddress != "44:19:b6:00:00:01" || info.Namespace != "http://www.hikvision.com/ver20/XMLSchema" {
		t.Fatalf("%+v", info)
	}
	if _, err := camera.ParseDeviceInfo([]byte(`<DeviceInfo><model>x</model></DeviceInfo>`)); err == nil || !strings.Contains(err.Error(), "deviceName") {
		t.Fatalf("missing deviceName: %v", err)
	}
}

func TestParseUserCheck(t *testing.T) {
	locked := `<userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString><isIllegalLogin>true</isIllegalLogin><lockStatus>lock</lockStatus><unlockTime>1740</unlockTime><retryLoginTime>0</retryLoginTime></userCheck>`
	uc, err := camera.ParseUserCheck([]byte(locked))
	if err != nil || !uc.Locked || uc.OK || uc.UnlockIn.Seconds() != 1740 || uc.RetriesLeft != 0 || !uc.IllegalLogin {
		t.Fatalf("%+v %v", uc, err)
	}
	uc, err = camera.ParseUserCheck([]byte(`<userCheck><statusValue>200</statusValue><statusString>OK</statusString></userCheck>`))
	if err != nil || !uc.OK || uc.RetriesLeft != -1 {
		t.Fatalf("%+v %v", uc, err)
	}
	for _, bad := range []string{
		`<userCheck><statusString>OK</statusString></userCheck>`,
		`<userCheck><statusValue>x</statusValue></userCheck>`,
		`<userCheck><statusValue>401</statusValue><lockStatus>maybe</lockStatus></userCheck>`,
		`<userCheck><statusValue>401</statusValue><unlockTime>-1</unlockTime></userCheck>`,
		`<userCheck><statusValue>401</statusValue><retryLoginTime>-3</retryLoginTime></userCheck>`,
		`<userCheck><statusValue>401</statusValue><isIllegalLogin>1</isIllegalLogin></userCheck>`,
	} {
		if _, err := camera.ParseUserCheck([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParseResponseStatus(t *testing.T) {
	rs, err := camera.ParseResponseStatus([]byte(`<ResponseStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><requestURL>/ISAPI/System/reboot</requestURL><statusCode>4</statusCode><statusString>Invalid Operation</statusString><subStatusCode>notActivated</subStatusCode></ResponseStatus>`))
	if err != nil || rs.StatusCode != camera.StatusInvalidOp || rs.SubStatusCode != "notActivated" || rs.RequestURL != "/ISAPI/System/reboot" {
		t.Fatalf("%+v %v", rs, err)
	}
	for _, bad := range []string{
		`<ResponseStatus><statusCode>0</statusCode></ResponseStatus>`,
		`<ResponseStatus><statusCode>8</statusCode></ResponseStatus>`,
		`<ResponseStatus><statusString>OK</statusString></ResponseStatus>`,
	} {
		if _, err := camera.ParseResponseStatus([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestParsePublicKey(t *testing.T) {
	if k, err := camera.ParsePublicKey([]byte(`<PublicKey version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><key> abc= </key></PublicKey>`)); err != nil || k != "abc=" {
		t.Fatalf("%q %v", k, err)
	}
	if _, err := camera.ParsePublicKey([]byte(`<PublicKey><key></key></PublicKey>`)); err == nil {
		t.Fatal("empty key accepted")
	}
}

var seeds = []string{
	`<ActivateStatus><Activated>true</Activated></ActivateStatus>`,
	`<DeviceInfo xmlns="http://www.isapi.org/ver20/XMLSchema"><deviceName>x</deviceName></DeviceInfo>`,
	`<userCheck><statusValue>401</statusValue><lockStatus>lock</lockStatus><unlockTime>10</unlockTime><retryLoginTime>0</retryLoginTime></userCheck>`,
	`<ResponseStatus><statusCode>1</statusCode><subStatusCode>ok</subStatusCode></ResponseStatus>`,
	`<PublicKey><key>YWJj</key></PublicKey>`,
	`<?xml version="1.0"?><!DOCTYPE a><a/>`, `<a xmlns:b="x"><b:c/></a>`, "\xff<a>",
}

func fuzzParser(f *testing.F, parse func([]byte) error) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { parse(b) })
}

func FuzzParseActivateStatus(f *testing.F) {
	fuzzParser(f, func(b []byte) error { _, err := camera.ParseActivateStatus(b); return err })
}

func FuzzParseDeviceInfo(f *testing.F) {
	fuzzParser(f, func(b []byte) error {
		info, err := camera.ParseDeviceInfo(b)
		if err == nil && info.Namespace != "" && !strings.Contains(info.Namespace, "ver20/XMLSchema") {
			panic("accepted namespace " + info.Namespace)
		}
		return err
	})
}

func FuzzParseUserCheck(f *testing.F) {
	fuzzParser(f, func(b []byte) error {
		uc, err := camera.ParseUserCheck(b)
		if err == nil && (uc.UnlockIn < 0 || uc.RetriesLeft < -1) {
			panic("negative times accepted")
		}
		return err
	})
}

func FuzzParseResponseStatus(f *testing.F) {
	fuzzParser(f, func(b []byte) error {
		rs, err := camera.ParseResponseStatus(b)
		if err == nil && (rs.StatusCode < 1 || rs.StatusCode > 7) {
			panic("statusCode out of range accepted")
		}
		return err
	})
}

func FuzzParsePublicKey(f *testing.F) {
	fuzzParser(f, func(b []byte) error { _, err := camera.ParsePublicKey(b); return err })
}
