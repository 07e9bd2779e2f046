package power

import (
	"strings"
	"testing"
)

func TestQuoteBytesTruncates(t *testing.T) {
	long := strings.Repeat("x", 200)
	got := QuoteBytes([]byte(long))
	if !strings.Contains(got, "(120 more bytes)") || len(got) > 120 {
		t.Fatalf("quoteBytes = %q", got)
	}
	if HexBytes(nil) != "nothing" || HexBytes([]byte{0xff, 1}) != "ff 01" {
		t.Fatal("hexBytes")
	}
}
