package isapihttp

import "testing"

func BenchmarkParseUserCheck(b *testing.B) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><userCheck><statusValue>401</statusValue><statusString>Unauthorized</statusString><isIllegalLogin>true</isIllegalLogin><lockStatus>unlock</lockStatus><unlockTime>0</unlockTime><retryLoginTime>4</retryLoginTime></userCheck>`)
	for b.Loop() {
		if _, err := ParseUserCheck(body); err != nil {
			b.Fatal(err)
		}
	}
}
