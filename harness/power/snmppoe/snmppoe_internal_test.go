package snmppoe

import (
	"strings"
	"testing"

	"github.com/gosnmp/gosnmp"
)

// FuzzSNMPReply feeds arbitrary datagrams through what happens to an
// agent's answer: gosnmp's decoder, then integerReply's checks.
func FuzzSNMPReply(f *testing.F) {
	g := &gosnmp.GoSNMP{Version: gosnmp.Version2c, Community: "c"}
	for _, pdu := range []gosnmp.SnmpPDU{
		{Name: ".1.3.6.1.2.1.105.1.1.1.6.1.1", Type: gosnmp.Integer, Value: 3},
		{Name: ".1.3.6.1.2.1.105.1.1.1.6.1.1", Type: gosnmp.NoSuchInstance},
		{Name: ".1.3.6.1.2.1.105.1.1.1.6.1.1", Type: gosnmp.OctetString, Value: []byte("x")},
	} {
		pkt := g.MkSnmpPacket(gosnmp.GetResponse, []gosnmp.SnmpPDU{pdu}, 0, 0)
		b, err := pkt.MarshalMsg()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, datagram []byte) {
		pkt, err := g.SnmpDecodePacket(datagram)
		if err != nil {
			return
		}
		if v, err := integerReply(pkt, ".1.3.6.1.2.1.105.1.1.1.6.1.1"); err == nil && pkt.Variables[0].Type != gosnmp.Integer {
			t.Fatalf("non-INTEGER %v accepted as %d", pkt.Variables[0].Type, v)
		}
	})
}

func TestIntegerReply(t *testing.T) {
	const oid = ".1.3.6.1.2.1.105.1.1.1.3.1.1"
	for _, tc := range []struct {
		pkt  *gosnmp.SnmpPacket
		want string
	}{
		{nil, "no response packet"},
		{&gosnmp.SnmpPacket{Error: gosnmp.NotWritable, ErrorIndex: 1}, "error-status NotWritable"},
		{&gosnmp.SnmpPacket{}, "0 varbinds"},
		{&gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{{Name: oid + ".9", Type: gosnmp.Integer, Value: 1}}}, "answered for"},
		{&gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.NoSuchObject}}}, "no such port"},
		{&gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.Gauge32, Value: uint(1)}}}, "want INTEGER"},
	} {
		if _, err := integerReply(tc.pkt, oid); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.pkt, err, tc.want)
		}
	}
	if v, err := integerReply(&gosnmp.SnmpPacket{Variables: []gosnmp.SnmpPDU{{Name: oid, Type: gosnmp.Integer, Value: 2}}}, oid); err != nil || v != 2 {
		t.Fatalf("%d, %v", v, err)
	}
}
