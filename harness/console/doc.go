// Package console is the UART console every part of camrig talks through:
// the boot log a spec waits on, the bootloader prompt uboot drives, the raw
// byte stream ymodem pushes a firmware image over.
//
// A Console owns one port (a local tty opened with go.bug.st/serial, a
// loopback TCP or unix socket such as qemu's serial backend, or an RFC 2217
// server) and one reader goroutine that timestamps every byte into a
// Transcript. Expect waits, event driven and bounded by its context, for
// the first of several patterns after a cursor; ReadContext hands raw bytes
// after the same cursor to binary protocols.
//
// Ports vanish on real benches (a USB adapter is pulled). The console then
// reports a *DisconnectedError to every pending and later Expect, and reopens
// the port by itself when its path comes back.
package console
