package fwimage

import "math/rand/v2"

// Generate makes a deterministic test image of exactly size bytes (header
// included): the same arguments always give the same bytes, so fixtures
// are generated rather than committed. It panics if size < HeaderSize or
// the strings are invalid.
func Generate(model, version string, size int, seed int64) []byte {
	if size < HeaderSize {
		panic("fwimage: Generate size smaller than the header")
	}
	r := rand.New(rand.NewPCG(uint64(seed), 0x636d7269676677)) // "cmrigfw"
	payload := make([]byte, size-HeaderSize)
	for i := 0; i < len(payload); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(payload); j++ {
			payload[i+j] = byte(v >> (8 * j))
		}
	}
	return Build(model, version, payload)
}
