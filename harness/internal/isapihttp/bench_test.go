package isapihttp

import "testing"

func BenchmarkDigestAuthorization(b *testing.B) {
	d := DigestChallenge{Realm: "IP Camera(m)", Nonce: "4e6a4d304e7a59304e6a41774d513d3d", QOP: "auth"}
	for i := 0; b.Loop(); i++ {
		if _, err := DigestAuthorization(d, "admin", "Lab-Passw0rd", "GET", "/ISAPI/System/deviceInfo", uint32(i), "0a4f113b"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseUserCheck(b *testing.B) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString><isIllegalLogin>true</isIllegalLogin><lockStatus>unlock</lockStatus><unlockTime>0</unlockTime><retryLoginTime>4</retryLoginTime></userCheck>`)
	for b.Loop() {
		if _, err := ParseUserCheck(body); err != nil {
			b.Fatal(err)
		}
	}
}
