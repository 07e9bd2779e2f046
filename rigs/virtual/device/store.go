package device

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
)

// Store is a unit's persistent configuration: it survives power loss and
// reboot-holds and is wiped by a factory reset. It is saved as JSON next to
// the rig's state so a restarted simulator keeps it too.
//
// A write goes through Begin/Commit so a power cut in between can be seen
// on the next boot (the unit then prints its recovery lines).
type Store struct {
	mu      sync.Mutex
	path    string
	data    storeFile
	writing bool
}

type storeFile struct {
	Values map[string]string `json:"values"`
	// Dirty is set while a write is in progress; a power cut leaves it set.
	Dirty bool `json:"dirty"`
}

// OpenStore loads path, or starts empty if it does not exist.
func OpenStore(path string) (*Store, error) {
	s := &Store{path: path, data: storeFile{Values: map[string]string{}}}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("config store: %w", err)
	}
	if err := json.Unmarshal(b, &s.data); err != nil {
		return nil, fmt.Errorf("config store %s: %w", path, err)
	}
	if s.data.Values == nil {
		s.data.Values = map[string]string{}
	}
	return s, nil
}

// Get returns a value.
func (s *Store) Get(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data.Values[key]
	return v, ok
}

// Keys lists the keys in order.
func (s *Store) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.data.Values))
	for k := range s.data.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Set writes one value (Begin, change, Commit).
func (s *Store) Set(key, value string) error {
	return s.Update(func(m map[string]string) { m[key] = value })
}

// Update applies fn to the values as one write.
func (s *Store) Update(fn func(map[string]string)) error {
	if err := s.Begin(); err != nil {
		return err
	}
	s.mu.Lock()
	fn(s.data.Values)
	s.mu.Unlock()
	return s.Commit()
}

// Begin marks a write in progress and persists the mark, as a flash
// filesystem's journal would.
func (s *Store) Begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing = true
	s.data.Dirty = true
	return s.saveLocked()
}

// Commit ends a write.
func (s *Store) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing = false
	s.data.Dirty = false
	return s.saveLocked()
}

// Writing reports whether a write is in progress right now (a power cut now
// would interrupt it).
func (s *Store) Writing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writing
}

// Recover is called at boot: it reports whether the last write was cut
// short, and clears the mark.
func (s *Store) Recover() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing = false
	if !s.data.Dirty {
		return false, nil
	}
	s.data.Dirty = false
	return true, s.saveLocked()
}

// Wipe removes every value except those whose key is in keep.
func (s *Store) Wipe(keep ...string) error {
	return s.Update(func(m map[string]string) {
		kept := map[string]bool{}
		for _, k := range keep {
			kept[k] = true
		}
		for k := range m {
			if !kept[k] {
				delete(m, k)
			}
		}
	})
}

func (s *Store) saveLocked() error {
	if s.path == "" {
		return nil
	}
	b, err := json.Marshal(s.data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("config store: %w", err)
	}
	return os.Rename(tmp, s.path)
}
