package wire

import (
	"crypto/aes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// HexBase64 is the activation encoding: base64 of lowercase hex.
func HexBase64(b []byte) string {
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(b)))
}

// UnHexBase64 reverses HexBase64 (either hex case).
func UnHexBase64(s string) ([]byte, error) {
	h, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, errors.New("not base64")
	}
	b, err := hex.DecodeString(string(h))
	if err != nil {
		return nil, errors.New("base64 does not hold hex")
	}
	return b, nil
}

// Challenge is one activation challenge the device handed out: the
// 32-hex-character string whose hex-decoding is the AES key.
type Challenge string

// NewChallenge draws a challenge and encrypts it to the client's public
// key (K = base64 of hex of the modulus, e = 65537) with RSA PKCS#1 v1.5.
// It returns the challenge and the reply's key text.
func NewChallenge(k string) (Challenge, string, error) {
	n, err := UnHexBase64(k)
	if err != nil {
		return "", "", fmt.Errorf("public key: %w", err)
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < 1024 || bits > 4096 {
		return "", "", fmt.Errorf("public key modulus of %d bits, want 1024..4096", bits)
	}
	if mod.Bit(0) == 0 {
		return "", "", errors.New("public key modulus is even")
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", err
	}
	ch := Challenge(hex.EncodeToString(raw[:]))
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, &rsa.PublicKey{N: mod, E: 65537}, []byte(ch))
	if err != nil {
		return "", "", fmt.Errorf("public key: %w", err)
	}
	return ch, HexBase64(ct), nil
}

func (c Challenge) cipherKey() ([]byte, error) {
	if len(c) != 32 {
		return nil, errors.New("challenge is not 32 hex characters")
	}
	return hex.DecodeString(string(c))
}

// Open decrypts the activation password text (base64 of hex of
// AES-ECB(prefix+password)). It checks the 16-character prefix and strips
// either padding clients use: NUL to the block, or PKCS#7.
func (c Challenge) Open(text string) (string, error) {
	ct, err := UnHexBase64(text)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", errors.New("password ciphertext is not a whole number of AES blocks")
	}
	key, err := c.cipherKey()
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	plain := make([]byte, len(ct))
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(plain[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	if len(plain) < 16 || string(plain[:16]) != string(c[:16]) {
		return "", errors.New("password not sealed with this challenge")
	}
	plain = plain[16:]
	if len(plain) == 0 {
		return "", nil
	}
	if n := int(plain[len(plain)-1]); n >= 1 && n <= aes.BlockSize && n <= len(plain) && pkcs7(plain, n) {
		return string(plain[:len(plain)-n]), nil
	}
	end := len(plain)
	for end > 0 && plain[end-1] == 0 {
		end--
	}
	return string(plain[:end]), nil
}

func pkcs7(b []byte, n int) bool {
	for _, x := range b[len(b)-n:] {
		if int(x) != n {
			return false
		}
	}
	return true
}

// Seal is the client side (the virtual NVR activating a unit): decrypt
// the reply key with priv, then AES-ECB(prefix+password), NUL-padded.
func Seal(priv *rsa.PrivateKey, replyKey, password string) (string, error) {
	ct, err := UnHexBase64(replyKey)
	if err != nil {
		return "", fmt.Errorf("challenge: %w", err)
	}
	plain, err := rsa.DecryptPKCS1v15(nil, priv, ct)
	if err != nil {
		return "", errors.New("challenge not encrypted to our key")
	}
	ch := Challenge(plain)
	key, err := ch.cipherKey()
	if err != nil {
		return "", err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	msg := []byte(string(ch[:16]) + password)
	if r := len(msg) % aes.BlockSize; r != 0 {
		msg = append(msg, make([]byte, aes.BlockSize-r)...)
	}
	out := make([]byte, len(msg))
	for i := 0; i < len(msg); i += aes.BlockSize {
		block.Encrypt(out[i:i+aes.BlockSize], msg[i:i+aes.BlockSize])
	}
	return HexBase64(out), nil
}

// PasswordProblem applies the activation rules (8-16 characters, at least
// two character classes, not containing the user name) and names the
// broken rule, or returns "".
func PasswordProblem(user, password string) string {
	classes := map[string]bool{}
	for _, r := range password {
		switch {
		case r < 0x20 || r > 0x7e:
			return "password may only contain printable ASCII"
		case r >= 'a' && r <= 'z':
			classes["lower"] = true
		case r >= 'A' && r <= 'Z':
			classes["upper"] = true
		case r >= '0' && r <= '9':
			classes["digit"] = true
		default:
			classes["special"] = true
		}
	}
	switch {
	case len(password) < 8 || len(password) > 16:
		return "password must be 8 to 16 characters"
	case len(classes) < 2:
		return "password must mix at least two character classes"
	case user != "" && strings.Contains(strings.ToLower(password), strings.ToLower(user)):
		return "password must not contain the user name"
	}
	return ""
}
