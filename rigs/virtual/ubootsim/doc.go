// Package ubootsim gives a virtual unit U-Boot's serial loading and flash
// commands: loady/loadx (YMODEM/XMODEM receivers behaving like U-Boot's
// xyzModem, paced by the unit's UART), crc32, mw.b, cmp.b and sf over an
// emulated SPI NOR chip (flashsim), with U-Boot's output formats. It also
// provides the unit's boot check of the firmware image in flash.
//
// The behaviour follows U-Boot's cmd/load.c and common/xyzModem.c as
// observed against Debian's U-Boot: the receiver sends 'C' at once, times out a
// character after 2 s, retries a header up to 20 times (after 10 timeouts it
// falls back to checksum mode and NAKs), asks again with 'C' (NAK in
// checksum mode) after a bad block, rejects blk^~blk != 0xFF, cancels on 3
// CANs, ACKs the first EOT at once (and once more), then in YMODEM mode
// sends 'C', reads the empty block 0 and ACKs it. It does not send the 'C'
// that ymodem.txt expects after block 0: a sender that waits for it only
// gets it after the 2 s timeout. Block 0's length trims the padding.
//
// Deliberate differences: malformed numbers are refused with a usage
// message (U-Boot's simple_strtoul would take "zz" as 0), and memory
// commands only reach the simulated RAM window.
//
// Like rigs/virtual as a whole, this package imports nothing from harness/
// except the shared firmware image format.
package ubootsim
