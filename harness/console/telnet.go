package console

// Telnet (RFC 854/856/858) and COM-PORT-OPTION (RFC 2217) codes.
const (
	tnIAC  = 255
	tnDONT = 254
	tnDO   = 253
	tnWONT = 252
	tnWILL = 251
	tnSB   = 250
	tnSE   = 240

	optBinary  = 0
	optEcho    = 1
	optSGA     = 3
	optComPort = 44

	// Client-to-server COM-PORT-OPTION commands; the server answers with
	// the same command + 100 carrying the value now in effect.
	cpSetBaud     = 1
	cpSetDataSize = 2
	cpSetParity   = 3
	cpSetStopSize = 4
	cpServerBase  = 100
)

// telnetParser splits a telnet byte stream into data and commands. It keeps
// state across reads, so an IAC sequence split between two TCP segments is
// handled.
type telnetParser struct {
	state   int
	verb    byte
	sb      []byte
	crSeen  bool
	rawRecv bool // BINARY agreed for the server's direction: no CR NUL undoing
}

const (
	tpData = iota
	tpIAC
	tpVerb
	tpSB
	tpSBIAC
)

// maxSubneg bounds a subnegotiation so a broken peer cannot grow it forever.
const maxSubneg = 64

// telnetEvents receives what the parser found besides data.
type telnetEvents interface {
	negotiate(verb, opt byte)
	subneg(b []byte)
}

// parse appends the data bytes of in to out and reports commands to ev.
func (tp *telnetParser) parse(in, out []byte, ev telnetEvents) []byte {
	for _, b := range in {
		switch tp.state {
		case tpData:
			if b == tnIAC {
				tp.state = tpIAC
				continue
			}
			if tp.crSeen && b == 0 && !tp.rawRecv {
				// NVT: CR NUL means a bare CR.
				tp.crSeen = false
				continue
			}
			tp.crSeen = b == '\r'
			out = append(out, b)
		case tpIAC:
			switch b {
			case tnIAC:
				out = append(out, tnIAC)
				tp.crSeen = false
				tp.state = tpData
			case tnDO, tnDONT, tnWILL, tnWONT:
				tp.verb = b
				tp.state = tpVerb
			case tnSB:
				tp.sb = tp.sb[:0]
				tp.state = tpSB
			default: // NOP, GA, DM, BRK, ...: nothing to do for a console
				tp.state = tpData
			}
		case tpVerb:
			ev.negotiate(tp.verb, b)
			tp.state = tpData
		case tpSB:
			if b == tnIAC {
				tp.state = tpSBIAC
				continue
			}
			if len(tp.sb) < maxSubneg {
				tp.sb = append(tp.sb, b)
			}
		case tpSBIAC:
			switch b {
			case tnSE:
				ev.subneg(tp.sb)
				tp.state = tpData
			case tnIAC:
				if len(tp.sb) < maxSubneg {
					tp.sb = append(tp.sb, tnIAC)
				}
				tp.state = tpSB
			default:
				// Malformed: the subnegotiation ends here; treat the byte
				// as the start of a command.
				tp.state = tpIAC
				out = tp.parse([]byte{b}, out, ev)
			}
		}
	}
	return out
}

// escapeIAC doubles every IAC so data cannot be read as a command, and
// turns CR into CR NUL when the server would not agree to BINARY.
func escapeIAC(p []byte, rawSend bool) []byte {
	out := make([]byte, 0, len(p)+8)
	for _, b := range p {
		out = append(out, b)
		switch {
		case b == tnIAC:
			out = append(out, tnIAC)
		case b == '\r' && !rawSend:
			out = append(out, 0)
		}
	}
	return out
}
