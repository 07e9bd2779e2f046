// Package pty makes pseudo-terminal pairs for the virtual rig. The master
// end is the simulated device; the slave end (reachable through a stable
// symlink) is what the harness opens with go.bug.st/serial, exactly as it
// opens a USB adapter on a bench.
//
// The master is opened from /dev/ptmx non-blocking and handed to os.NewFile,
// so it joins Go's poller and read deadlines work (a blocking fd would make
// SetReadDeadline silently do nothing).
package pty

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// Pair is one pseudo-terminal.
type Pair struct {
	// Master is the device side: what the simulated board or unit reads and
	// writes.
	Master *os.File
	// SlavePath is /dev/pts/N.
	SlavePath string
	// Link is the stable symlink to SlavePath, if one was made.
	Link string
	// holdSlave keeps the slave open so the master does not see EIO/HUP
	// while no harness has the port open (a real UART is always there).
	holdSlave *os.File
}

// Open makes a pair in raw mode. If link is not empty, a symlink to the slave
// is created there (replacing a stale one).
func Open(link string) (*Pair, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("pty: open /dev/ptmx: %w", err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pty: unlock: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pty: number: %w", err)
	}
	p := &Pair{Master: os.NewFile(uintptr(fd), "/dev/ptmx"), SlavePath: "/dev/pts/" + strconv.Itoa(n)}
	if err := p.makeRaw(); err != nil {
		p.Close()
		return nil, err
	}
	hold, err := os.OpenFile(p.SlavePath, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		p.Close()
		return nil, fmt.Errorf("pty: open slave: %w", err)
	}
	p.holdSlave = hold
	if link != "" {
		if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
			p.Close()
			return nil, fmt.Errorf("pty: %w", err)
		}
		if fi, err := os.Lstat(link); err == nil {
			if fi.Mode()&os.ModeSymlink == 0 {
				p.Close()
				return nil, fmt.Errorf("pty: %s exists and is not a symlink; refusing to replace it", link)
			}
			os.Remove(link)
		}
		if err := os.Symlink(p.SlavePath, link); err != nil {
			p.Close()
			return nil, fmt.Errorf("pty: link: %w", err)
		}
		p.Link = link
	}
	return p, nil
}

// makeRaw puts the line discipline in raw mode on the slave side so bytes
// pass unchanged both ways (no echo, no CR/LF translation, no signals).
func (p *Pair) makeRaw() error {
	fd, err := unix.Open(p.SlavePath, unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("pty: open slave for raw mode: %w", err)
	}
	defer unix.Close(fd)
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return fmt.Errorf("pty: tcgets: %w", err)
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return fmt.Errorf("pty: tcsets: %w", err)
	}
	return nil
}

// Unplug removes the symlink and closes the pair, as when a USB adapter is
// pulled: the harness's open port sees an error, and the path is gone.
func (p *Pair) Unplug() error { return p.Close() }

// Close releases both ends and removes the symlink.
func (p *Pair) Close() error {
	var errs []error
	if p.Link != "" {
		if err := os.Remove(p.Link); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if p.holdSlave != nil {
		errs = append(errs, p.holdSlave.Close())
	}
	if p.Master != nil {
		errs = append(errs, p.Master.Close())
	}
	return errors.Join(errs...)
}
