package digest

import "testing"

func BenchmarkAuthorization(b *testing.B) {
	d := Challenge{Realm: "IP Camera(m)", Nonce: "4e6a4d304e7a59304e6a41774d513d3d", QOP: "auth"}
	for i := 0; b.Loop(); i++ {
		if _, err := Authorization(d, "admin", "Lab-Passw0rd", "GET", "/ISAPI/System/deviceInfo", uint32(i), "0a4f113b"); err != nil {
			b.Fatal(err)
		}
	}
}
