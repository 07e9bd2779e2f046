package camera

import (
	"errors"
	"strings"
)

// ErrPasswordRule says a password breaks the unit's activation rules; the
// *PasswordError carrying it names the rule, never the password.
var ErrPasswordRule = errors.New("password breaks the activation rules")

// PasswordError names the broken rule.
type PasswordError struct{ Rule string }

func (e *PasswordError) Error() string { return "password " + e.Rule }

// Is makes errors.Is(err, ErrPasswordRule) hold.
func (e *PasswordError) Is(target error) bool { return target == ErrPasswordRule }

// Password rules of Hikvision ISAPI activation (the vendor's activation
// guide): 8-16 characters, at least two character classes, not containing
// the user name.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 16
)

// CheckPassword applies the activation rules locally, so a bad password is
// refused with a clear message before anything is sent (a device would
// only say "riskPassword"). Only printable ASCII is accepted: the device
// side encrypts bytes, and a non-ASCII password would be counted
// differently by different firmware.
func CheckPassword(user, password string) error {
	var lower, upper, digit, special bool
	for i := 0; i < len(password); i++ {
		c := password[i]
		switch {
		case c < 0x20 || c > 0x7e:
			return &PasswordError{"may only contain printable ASCII characters"}
		case c >= 'a' && c <= 'z':
			lower = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= '0' && c <= '9':
			digit = true
		default:
			special = true
		}
	}
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return &PasswordError{"must be 8 to 16 characters long"}
	}
	classes := 0
	for _, has := range []bool{lower, upper, digit, special} {
		if has {
			classes++
		}
	}
	if classes < 2 {
		return &PasswordError{"must mix at least two of: lower case, upper case, digits, special characters"}
	}
	if user != "" && strings.Contains(strings.ToLower(password), strings.ToLower(user)) {
		return &PasswordError{"must not contain the user name"}
	}
	return nil
}
