package wire

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Nonces is a server's bounded book of issued Digest nonces with the
// highest nonce count seen for each, so a replayed Authorization is
// refused. The oldest nonce is forgotten when the book is full.
type Nonces struct {
	Max  int
	Life time.Duration
	Now  func() time.Time

	mu    sync.Mutex
	book  map[string]*nonceState
	order []string
}

type nonceState struct {
	issued time.Time
	lastNC uint64
}

func (n *Nonces) now() time.Time {
	if n.Now == nil {
		return time.Now()
	}
	return n.Now()
}

// Issue returns a fresh nonce.
func (n *Nonces) Issue() string {
	var b [16]byte
	rand.Read(b[:])
	s := hex.EncodeToString(b[:])
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.book == nil {
		n.book = map[string]*nonceState{}
	}
	max := n.Max
	if max <= 0 {
		max = 64
	}
	for len(n.order) >= max {
		delete(n.book, n.order[0])
		n.order = n.order[1:]
	}
	n.book[s] = &nonceState{issued: n.now()}
	n.order = append(n.order, s)
	return s
}

// Use accepts nc for nonce if the nonce is known, not expired, and nc is
// higher than any seen for it; false means "stale: challenge again".
func (n *Nonces) Use(nonce string, nc uint64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := n.book[nonce]
	life := n.Life
	if life <= 0 {
		life = 5 * time.Minute
	}
	if st == nil || n.now().Sub(st.issued) > life || nc <= st.lastNC {
		return false
	}
	st.lastNC = nc
	return true
}
