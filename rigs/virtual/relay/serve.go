package relay

import (
	"errors"
	"log/slog"
	"os"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Engine is a board's protocol: bytes from the host in, the board's reply
// out. Numato and LCUS are Engines.
type Engine interface {
	Feed(in []byte) []byte
}

// Server runs an Engine on a pty master.
type Server struct {
	f    *os.File
	raw  syscall.RawConn
	eng  Engine
	log  *slog.Logger
	wg   sync.WaitGroup
	mu   sync.Mutex
	done bool
}

// Serve starts answering on master (opened non-blocking, so deadlines
// work). Close stops it; master stays open.
func Serve(master *os.File, eng Engine, log *slog.Logger) (*Server, error) {
	raw, err := master.SyscallConn()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{f: master, raw: raw, eng: eng, log: log}
	s.wg.Add(1)
	go s.loop()
	return s, nil
}

func (s *Server) loop() {
	defer s.wg.Done()
	buf := make([]byte, 1024)
	for {
		n, err := s.f.Read(buf)
		if n > 0 {
			if out := s.eng.Feed(buf[:n]); len(out) > 0 {
				s.write(out)
			}
		}
		if err != nil {
			s.mu.Lock()
			done := s.done
			s.mu.Unlock()
			if !done && !errors.Is(err, os.ErrDeadlineExceeded) {
				s.log.Warn("relay board: read from pty; board stops answering", "err", err)
			}
			return
		}
	}
}

// write does not block: a host that never reads replies loses them
// rather than wedging the board.
func (s *Server) write(p []byte) {
	err := s.raw.Write(func(fd uintptr) bool {
		for len(p) > 0 {
			n, err := unix.Write(int(fd), p)
			if n > 0 {
				p = p[n:]
			}
			switch {
			case errors.Is(err, unix.EINTR):
			case err != nil || n <= 0:
				return true
			}
		}
		return true
	})
	if err != nil {
		s.log.Warn("relay board: write to pty", "err", err)
	}
}

// Close stops the server.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return nil
	}
	s.done = true
	s.mu.Unlock()
	err := s.f.SetReadDeadline(time.Now())
	s.wg.Wait()
	if errors.Is(err, os.ErrClosed) {
		err = nil
	}
	return err
}
