package console

import (
	"testing"
	"time"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/gbytes"
)

func TestReaderFeedsGbytes(t *testing.T) {
	g := gomega.NewWithT(t)
	c, pair := ptyConsole(t)
	buf := gbytes.BufferReader(c.Reader())
	pair.Master.Write([]byte("U-Boot 2016.11\r\n\x00\xffHit any key to stop autoboot:  2"))
	g.Eventually(buf).WithTimeout(testDeadline).WithPolling(time.Millisecond).Should(gbytes.Say(`autoboot:\s+2`))
	// The reader has its own position: Expect still sees everything.
	m, err := c.Expect(ctxFor(t, "banner"), Lit("U-Boot"))
	g.Expect(err).NotTo(gomega.HaveOccurred())
	g.Expect(m.Offset).To(gomega.BeZero())
	c.Close()
	g.Eventually(buf.Closed).WithTimeout(testDeadline).Should(gomega.BeTrue())
}
