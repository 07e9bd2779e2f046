package nvr_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/nvr"
)

const channelList = `<?xml version="1.0" encoding="UTF-8"?>
<InputProxyChannelList version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<InputProxyChannel version="2.0" xmlns="http://www.hikvision.com/ver20/XMLSchema">
<id>1</id>
<name>IPCamera 01</name>
<sourceInputPortDescriptor>
<proxyProtocol>HIKVISION</proxyProtocol>
<addressingFormatType>ipaddress</addressingFormatType>
<ipAddress>192.168.254.2</ipAddress>
<managePortNo>8000</managePortNo>
<srcInputPort>1</srcInputPort>
<userName>admin</userName>
<streamType>auto</streamType>
<deviceID></deviceID>
</sourceInputPortDescriptor>
<enableAnr>false</enableAnr>
</InputProxyChannel>
<InputProxyChannel><id>2</id><name>IPCamera 02</name></InputProxyChannel>
</InputProxyChannelList>`

const statusList = `<?xml version="1.0" encoding="UTF-8"?>
<InputProxyChannelStatusList version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema">
<InputProxyChannelStatus><id>1</id><sourceInputPortDescriptor><ipAddress>192.168.254.2</ipAddress><managePortNo>8000</managePortNo></sourceInputPortDescriptor><online>true</online><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus>
<InputProxyChannelStatus><id>2</id><online>false</online><chanDetectResult>errorUserNameOrPasswd</chanDetectResult></InputProxyChannelStatus>
</InputProxyChannelStatusList>`

func TestParseChannelList(t *testing.T) {
	cs, err := nvr.ParseChannelList([]byte(channelList))
	if err != nil {
		t.Fatal(err)
	}
	want := nvr.Source{ProxyProtocol: "HIKVISION", IPAddress: "192.168.254.2", ManagePort: 8000, SrcInputPort: 1, UserName: "admin", StreamType: "auto"}
	if len(cs) != 2 || cs[0].ID != 1 || cs[0].Name != "IPCamera 01" || cs[0].Source != want || cs[1].ID != 2 || cs[1].Source != (nvr.Source{}) {
		t.Fatalf("%+v", cs)
	}
	if cs, err := nvr.ParseChannelList([]byte(`<InputProxyChannelList/>`)); err != nil || len(cs) != 0 {
		t.Fatalf("empty list: %v %v", cs, err)
	}
	for _, bad := range []string{
		`<InputProxyChannelList><InputProxyChannel><name>x</name></InputProxyChannel></InputProxyChannelList>`,
		`<InputProxyChannelList><InputProxyChannel><id>0</id></InputProxyChannel></InputProxyChannelList>`,
		`<InputProxyChannelList><InputProxyChannel><id>1</id></InputProxyChannel><InputProxyChannel><id>1</id></InputProxyChannel></InputProxyChannelList>`,
		`<InputProxyChannelList><InputProxyChannel><id>1</id><sourceInputPortDescriptor><managePortNo>70000</managePortNo></sourceInputPortDescriptor></InputProxyChannel></InputProxyChannelList>`,
		`<InputProxyChannelList><InputProxyChannel><id>1</id><sourceInputPortDescriptor><srcInputPort>x</srcInputPort></sourceInputPortDescriptor></InputProxyChannel></InputProxyChannelList>`,
		`<InputProxyChannelStatusList/>`,
	} {
		if _, err := nvr.ParseChannelList([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestParseChannelStatusList(t *testing.T) {
	ss, err := nvr.ParseChannelStatusList([]byte(statusList))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || !ss[0].Online || ss[0].Detect != nvr.DetectConnect || ss[0].Source.ManagePort != 8000 || ss[1].Online || ss[1].Detect != nvr.DetectBadPassword {
		t.Fatalf("%+v", ss)
	}
	for _, bad := range []string{
		`<InputProxyChannelStatusList><InputProxyChannelStatus><id>1</id><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus></InputProxyChannelStatusList>`,
		`<InputProxyChannelStatusList><InputProxyChannelStatus><id>1</id><online>yes</online><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus></InputProxyChannelStatusList>`,
		`<InputProxyChannelStatusList><InputProxyChannelStatus><id>1</id><online>true</online></InputProxyChannelStatus></InputProxyChannelStatusList>`,
		`<InputProxyChannelStatusList><InputProxyChannelStatus><id>1</id><online>true</online><chanDetectResult>two words</chanDetectResult></InputProxyChannelStatus></InputProxyChannelStatusList>`,
	} {
		if _, err := nvr.ParseChannelStatusList([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestChannelForPort(t *testing.T) {
	c, err := nvr.New(nvr.Config{URL: "http://127.0.0.1:1", User: "admin", PortChannels: map[int]int{2: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if c.ChannelForPort(1) != 1 || c.ChannelForPort(2) != 5 {
		t.Fatal("mapping")
	}
	if _, err := nvr.New(nvr.Config{URL: "http://127.0.0.1:1", User: "admin", PortChannels: map[int]int{0: 5}}); err == nil {
		t.Fatal("port 0 accepted")
	}
}

func FuzzParseChannelList(f *testing.F) {
	f.Add([]byte(channelList))
	f.Add([]byte(`<InputProxyChannelList><InputProxyChannel><id>3</id></InputProxyChannel></InputProxyChannelList>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		cs, err := nvr.ParseChannelList(b)
		seen := map[int]bool{}
		for _, c := range cs {
			if err != nil || c.ID < 1 || seen[c.ID] {
				t.Fatalf("bad channel %+v", c)
			}
			seen[c.ID] = true
		}
	})
}

func FuzzParseChannelStatusList(f *testing.F) {
	f.Add([]byte(statusList))
	f.Fuzz(func(t *testing.T, b []byte) {
		ss, err := nvr.ParseChannelStatusList(b)
		for _, s := range ss {
			if err != nil || s.ID < 1 || s.Detect == "" {
				t.Fatalf("bad status %+v", s)
			}
		}
	})
}

func BenchmarkParseChannelStatusList64(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`<InputProxyChannelStatusList xmlns="http://www.hikvision.com/ver20/XMLSchema">`)
	for i := 1; i <= 64; i++ {
		fmt.Fprintf(&sb, `<InputProxyChannelStatus><id>%d</id><sourceInputPortDescriptor><proxyProtocol>HIKVISION</proxyProtocol><ipAddress>192.168.254.%d</ipAddress><managePortNo>8000</managePortNo><srcInputPort>1</srcInputPort><userName>admin</userName><streamType>auto</streamType></sourceInputPortDescriptor><online>true</online><chanDetectResult>connect</chanDetectResult></InputProxyChannelStatus>`, i, i)
	}
	sb.WriteString(`</InputProxyChannelStatusList>`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if ss, err := nvr.ParseChannelStatusList(body); err != nil || len(ss) != 64 {
			b.Fatal(err)
		}
	}
}
