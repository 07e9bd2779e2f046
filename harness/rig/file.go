package rig

import (
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/camrig/camrig/harness/power"
)

// The on-disk schema. It differs from the exported types where the file
// needs something the program must not keep: a literal `password` key is
// accepted by the decoder only so validation can refuse it with advice
// instead of a bare "unknown key".

type fileRig struct {
	Rig       string     `yaml:"rig"`
	Timescale *float64   `yaml:"timescale"`
	StateDir  string     `yaml:"state_dir"`
	Virtual   bool       `yaml:"virtual"`
	Profiles  string     `yaml:"profiles"`
	LockDir   string     `yaml:"lock_dir"`
	NVR       *fileNVR   `yaml:"nvr"`
	Lab       *fileLab   `yaml:"lab"`
	Units     []fileUnit `yaml:"units"`
	// Sim is the simulator's section (rigs/virtual reads it, checks
	// its keys and expands ${state_dir} in it): the harness accepts it
	// unread.
	Sim yaml.Node `yaml:"sim"`
}

type fileNVR struct {
	API          string    `yaml:"api"`
	User         string    `yaml:"user"`
	PasswordEnv  string    `yaml:"password_env"`
	PasswordFile string    `yaml:"password_file"`
	Password     yaml.Node `yaml:"password"`
}

type fileUnit struct {
	Name    string       `yaml:"name"`
	Profile string       `yaml:"profile"`
	Console *fileConsole `yaml:"console"`
	Power   *filePower   `yaml:"power"`
	Press   *filePower   `yaml:"press"`
	LED     *fileLED     `yaml:"led"`
	API     *fileAPI     `yaml:"api"`
	NVRPort int          `yaml:"nvr_port"`
}

type fileConsole struct {
	Port     string `yaml:"port"`
	Baud     int    `yaml:"baud"`
	DataBits int    `yaml:"data_bits"`
	Parity   string `yaml:"parity"`
	StopBits int    `yaml:"stop_bits"`
}

type filePower struct {
	power.Config `yaml:",inline"`
	Password     yaml.Node `yaml:"password"`
	Community    yaml.Node `yaml:"community"`
}

type fileLED struct {
	Driver    string        `yaml:"driver"`
	Port      string        `yaml:"port"`
	Pin       string        `yaml:"pin"`
	ActiveLow bool          `yaml:"active_low"`
	Poll      time.Duration `yaml:"poll"`
}

type fileAPI struct {
	URL          string    `yaml:"url"`
	User         string    `yaml:"user"`
	PasswordEnv  string    `yaml:"password_env"`
	PasswordFile string    `yaml:"password_file"`
	Password     yaml.Node `yaml:"password"`
}
