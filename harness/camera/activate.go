package camera

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/rsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/camrig/camrig/harness/internal/isapihttp"
	"github.com/camrig/camrig/harness/secret"
)

// rsaBits is the key size ISAPI activation uses.
const rsaBits = 1024

// Activate sets the first password of an inactive unit (legacy ISAPI
// activation): POST /ISAPI/Security/challenge with a fresh RSA public key,
// decrypt the AES key the unit returns, AES-ECB-encrypt the challenge
// prefix and the password, PUT /ISAPI/System/activate. The password rules
// are checked first; a password that breaks them is never sent.
func (c *Client) Activate(ctx context.Context, password secret.Secret) error {
	pw, err := password.Value()
	if err != nil {
		return fmt.Errorf("%s: activation password: %w", c.h.Peer(), err)
	}
	if err := CheckPassword(c.h.User(), pw); err != nil {
		return fmt.Errorf("%s: activation password from %s refused before sending: %w", c.h.Peer(), password.Where(), err)
	}
	return c.activate(ctx, password, pw)
}

// TryActivate sends password to the unit's activation as it is, without
// the local rules Activate applies first: a security spec uses it to see
// that the unit itself refuses a weak password, with its own reason.
func (c *Client) TryActivate(ctx context.Context, password secret.Secret) error {
	pw, err := password.Value()
	if err != nil {
		return fmt.Errorf("%s: activation password: %w", c.h.Peer(), err)
	}
	return c.activate(ctx, password, pw)
}

func (c *Client) activate(ctx context.Context, password secret.Secret, pw string) error {
	key, err := c.challengeKey()
	if err != nil {
		return fmt.Errorf("%s: activation: RSA key: %w", c.h.Peer(), err)
	}
	resp, err := c.h.Do(ctx, isapihttp.Request{
		Method: http.MethodPost, Path: "/ISAPI/Security/challenge",
		Body: publicKeyBody(&key.PublicKey),
	})
	if err != nil {
		return err
	}
	var encKey string
	if err := c.h.Decode(resp, func(b []byte) (err error) { encKey, err = ParsePublicKey(b); return err }); err != nil {
		return err
	}
	aesKey, prefix, err := openChallenge(key, encKey)
	if err != nil {
		return c.h.Junk(resp, "challenge: "+err.Error())
	}
	ct, err := sealPassword(aesKey, prefix, pw)
	if err != nil {
		return fmt.Errorf("%s: activation: %w", c.h.Peer(), err)
	}
	resp, err = c.h.Do(ctx, isapihttp.Request{
		Method: http.MethodPut, Path: "/ISAPI/System/activate",
		Body:    activateBody(ct),
		Secrets: []secret.Secret{password},
	})
	if err != nil {
		return err
	}
	return c.h.Expect(resp)
}

// hexBase64 is the ISAPI activation encoding: base64 of lowercase hex.
func hexBase64(b []byte) string {
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(b)))
}

func unHexBase64(s string) ([]byte, error) {
	h, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	b, err := hex.DecodeString(string(h))
	if err != nil {
		return nil, errors.New("base64 does not hold hex")
	}
	return b, nil
}

func xmlText(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func publicKeyBody(pub *rsa.PublicKey) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<PublicKey version="2.0" xmlns="` + isapihttp.NamespaceISAPI + `"><key>` +
		xmlText(hexBase64(pub.N.Bytes())) + `</key></PublicKey>`)
}

func activateBody(ct []byte) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>` +
		`<ActivateInfo version="2.0" xmlns="` + isapihttp.NamespaceISAPI + `"><password>` +
		xmlText(hexBase64(ct)) + `</password></ActivateInfo>`)
}

type publicKeyXML struct {
	Key *string `xml:"key"`
}

// ParsePublicKey parses the challenge reply <PublicKey><key>C</key> and
// returns C.
func ParsePublicKey(body []byte) (string, error) {
	var x publicKeyXML
	if _, err := isapihttp.Decode(body, "PublicKey", &x); err != nil {
		return "", err
	}
	if x.Key == nil || strings.TrimSpace(*x.Key) == "" {
		return "", errors.New("<PublicKey> has no <key>")
	}
	return strings.TrimSpace(*x.Key), nil
}

// openChallenge decrypts C: RSA PKCS#1 v1.5 of a 32-hex-character string.
// It returns the AES key (the hex decoded) and the 16-character prefix the
// password is sealed behind.
func openChallenge(key *rsa.PrivateKey, c string) (aesKey []byte, prefix string, err error) {
	ct, err := unHexBase64(c)
	if err != nil {
		return nil, "", err
	}
	plain, err := rsa.DecryptPKCS1v15(nil, key, ct)
	if err != nil {
		return nil, "", errors.New("RSA decryption failed (not encrypted to our key)")
	}
	if len(plain) != 32 {
		return nil, "", fmt.Errorf("decrypted challenge is %d bytes, want 32 hex characters", len(plain))
	}
	aesKey, err = hex.DecodeString(string(plain))
	if err != nil {
		return nil, "", errors.New("decrypted challenge is not hex")
	}
	return aesKey, string(plain[:16]), nil
}

// sealPassword is AES-ECB over prefix+password, NUL-padded to the block.
// ECB is what the protocol specifies; it is not a choice made here.
func sealPassword(aesKey []byte, prefix, password string) ([]byte, error) {
	block, err := aes.NewCipher(aesKey)
	if err != nil {
		return nil, err
	}
	plain := []byte(prefix + password)
	if r := len(plain) % aes.BlockSize; r != 0 {
		plain = append(plain, make([]byte, aes.BlockSize-r)...)
	}
	out := make([]byte, len(plain))
	for i := 0; i < len(plain); i += aes.BlockSize {
		block.Encrypt(out[i:i+aes.BlockSize], plain[i:i+aes.BlockSize])
	}
	clear(plain)
	return out, nil
}
