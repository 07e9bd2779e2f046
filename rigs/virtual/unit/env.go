package unit

import (
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strings"
	"sync"
)

// bootEnv is the bootloader environment of one shell session: the saved
// environment if there is one, else the defaults.
type bootEnv struct {
	mu sync.Mutex
	m  map[string]string
}

// Get returns a variable.
func (e *bootEnv) Get(key string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[key]
	return v, ok
}

// Set sets a variable; an empty value deletes it (as `setenv name` does).
func (e *bootEnv) Set(key, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if value == "" {
		delete(e.m, key)
		return
	}
	e.m[key] = value
}

func (e *bootEnv) snapshot() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]string, len(e.m))
	for k, v := range e.m {
		out[k] = v
	}
	return out
}

// envSize is the size of CONFIG_ENV_SIZE minus the CRC, as U-Boot prints.
const envSize = 65532

// loadEnv builds the session environment.
func (u *Unit) loadEnv() *bootEnv {
	e := &bootEnv{m: map[string]string{}}
	for _, k := range u.store.Keys() {
		if name, ok := strings.CutPrefix(k, EnvPrefix); ok {
			e.m[name], _ = u.store.Get(k)
		}
	}
	if len(e.m) > 0 {
		return e
	}
	loadAddr := uint64(u.prof.Flash.LoadAddr)
	if loadAddr == 0 {
		loadAddr = 0x82000000
	}
	h := fnv.New32a()
	h.Write([]byte(u.name))
	mac := h.Sum32()
	e.m = map[string]string{
		"baudrate":  fmt.Sprint(u.baud),
		"bootdelay": fmt.Sprint(int(math.Ceil(u.prof.Bootloader.Countdown.Seconds()))),
		"loadaddr":  fmt.Sprintf("0x%x", loadAddr),
		"bootcmd":   "bootm ${loadaddr}",
		"bootargs":  fmt.Sprintf("console=ttyS0,%d mem=128M root=/dev/mtdblock2", u.baud),
		"ethaddr":   fmt.Sprintf("02:00:%02x:%02x:%02x:%02x", byte(mac>>24), byte(mac>>16), byte(mac>>8), byte(mac)),
		"ipaddr":    "192.168.1.64",
		"serverip":  "192.168.1.128",
		"netmask":   "255.255.255.0",
		"stdin":     "serial",
		"stdout":    "serial",
		"stderr":    "serial",
		"ver":       u.prof.Bootloader.Banner,
	}
	if e.m["ver"] == "" {
		delete(e.m, "ver")
	}
	return e
}

// saveEnv writes the whole environment as one config write taking the
// unit's save time.
func (u *Unit) saveEnv(e *bootEnv) error {
	snap := e.snapshot()
	return u.UpdateConfig(func(m map[string]string) {
		for k := range m {
			if strings.HasPrefix(k, EnvPrefix) {
				delete(m, k)
			}
		}
		for k, v := range snap {
			m[EnvPrefix+k] = v
		}
	}, u.saveTime)
}

// printenv lines, sorted.
func envLines(m map[string]string) ([]string, int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	lines := make([]string, len(keys))
	size := 0
	for i, k := range keys {
		lines[i] = k + "=" + m[k]
		size += len(lines[i]) + 1
	}
	return lines, size
}
