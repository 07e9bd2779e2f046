package console

import (
	"bytes"
	"fmt"
	"testing"
)

// TestLongStreamSpillsAndExpectStillWorks streams far more than the memory
// window through a real pty without anyone expecting, then expects a
// marker at the end: memory stays bounded, the early bytes are in the spill
// file, and the report rendering has everything.
func TestLongStreamSpillsAndExpectStillWorks(t *testing.T) {
	const window = 8 << 10
	c, pair := ptyConsole(t, WithWindow(window))
	var sent bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&sent, "[%7d.000000] soak line %d\r\n", i, i)
	}
	sent.WriteString("soak done\r\n")
	go pair.Master.Write(sent.Bytes())
	m, err := c.Expect(ctxFor(t, "soak done"), Lit("soak done"))
	if err != nil {
		t.Fatal(err)
	}
	tr := c.Transcript()
	// Unconsumed bytes stay in memory up to the hard cap (an Expect was
	// waiting the whole time), never beyond.
	if tr.InMemory() > hardCapFactor*window+4096 {
		t.Fatalf("%d bytes in memory, window %d", tr.InMemory(), window)
	}
	if int(m.Offset) != sent.Len()-len("soak done\r\n") {
		t.Fatalf("marker at %d", m.Offset)
	}
	if tr.SpillPath() == "" {
		t.Fatal("a soak longer than the window spilled nothing")
	}
	early := make([]byte, 40)
	if n, err := tr.ReadAt(early, 0); err != nil || !bytes.HasPrefix(early[:n], []byte("[      0.000000] soak line 0\r\n")) {
		t.Fatalf("spilled start %.40q, %v", early[:n], err)
	}
	var all bytes.Buffer
	tr.WriteTo(&all)
	if !bytes.Equal(all.Bytes(), sent.Bytes()) {
		t.Fatalf("WriteTo has %d bytes, sent %d", all.Len(), sent.Len())
	}
}
