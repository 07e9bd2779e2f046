package profile

import (
	"reflect"
	"strings"
	"time"
)

// NamedDuration is one duration a profile sets, by its key path
// (holds.reboot.min).
type NamedDuration struct {
	Key string
	D   time.Duration
}

// Durations lists every non-zero duration the profile sets, in field
// order, so a rig can check that its timescale leaves each one a wait the
// clock can still tell apart from zero.
func (p *Profile) Durations() []NamedDuration {
	var out []NamedDuration
	collectDurations(reflect.ValueOf(p).Elem(), "", &out)
	return out
}

var durationType = reflect.TypeFor[time.Duration]()

func collectDurations(v reflect.Value, key string, out *[]NamedDuration) {
	switch {
	case v.Type() == durationType:
		if d := time.Duration(v.Int()); d != 0 {
			*out = append(*out, NamedDuration{Key: key, D: d})
		}
	case v.Kind() == reflect.Pointer:
		if !v.IsNil() {
			collectDurations(v.Elem(), key, out)
		}
	case v.Kind() == reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || name == "" {
				continue
			}
			if key != "" {
				name = key + "." + name
			}
			collectDurations(v.Field(i), name, out)
		}
	}
}
