package virtual

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// passwordAlphabet avoids characters that need quoting in shells and URLs.
const (
	lower          = "abcdefghijkmnopqrstuvwxyz"
	upper          = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	digits         = "23456789"
	passwordLength = 16
)

// newPassword makes a random password that meets the camera rules (8-16
// characters, at least two character classes, not containing user).
func newPassword(user string) (string, error) {
	all := lower + upper + digits
	for {
		b := make([]byte, passwordLength)
		for i := range b {
			n, err := rand.Int(rand.Reader, big.NewInt(int64(len(all))))
			if err != nil {
				return "", err
			}
			b[i] = all[n.Int64()]
		}
		pw := string(b)
		if strings.ContainsAny(pw, lower) && strings.ContainsAny(pw, upper) && strings.ContainsAny(pw, digits) &&
			(user == "" || !strings.Contains(strings.ToLower(pw), strings.ToLower(user))) {
			return pw, nil
		}
	}
}

// writeSecrets makes ${state_dir}/secrets/<name> (0600) for every name that
// has none yet. An existing password is kept: the units' config stores
// survive restarts too, and a unit activated with it must still accept it.
func writeSecrets(dir string, names []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("virtual rig: secrets: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("virtual rig: secrets: %w", err)
	}
	for _, name := range names {
		path := filepath.Join(dir, name)
		if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return fmt.Errorf("virtual rig: secret for %s: %w", name, err)
			}
			continue
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("virtual rig: secret for %s: %w", name, err)
		}
		pw, err := newPassword("admin")
		if err != nil {
			return fmt.Errorf("virtual rig: secret for %s: %w", name, err)
		}
		if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
			return fmt.Errorf("virtual rig: secret for %s: %w", name, err)
		}
	}
	return nil
}
