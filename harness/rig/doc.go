// Package rig loads a rig file (rigs/*.yaml): which units a bench has and
// how each is wired (console, power relay, reset solenoid, LED sensor,
// network API, NVR port). Load validates strictly and reports every problem
// as file:line with the offending key, so a lab engineer can fix a typo
// before any relay clicks. A unit is leased (Lease, LeaseAny) before a run
// drives it, so two runs on one host never share a unit.
//
// Rig file schema (rigs/virtual.yaml is the worked example):
//
//	rig: bench3                 # name: letters, digits, '.', '_', '-'
//	timescale: 1                # 0 < t <= 1, default 1
//	state_dir: /var/lib/camrig  # ${state_dir} expands to it in every string;
//	                            # env CAMRIG_STATE_DIR overrides it
//	virtual: false              # true: the simulator provides the devices and
//	                            # every network address must be loopback
//	profiles: ../fixtures/profiles  # relative to the rig file (that is the default)
//	lock_dir: /run/camrig       # optional; default $XDG_RUNTIME_DIR/camrig/<rig>
//	                            # or /tmp/camrig-locks/<rig>
//	nvr: {api: http://10.0.0.2, user: admin, password_env: NVR_PASSWORD}
//	units:
//	  - name: cam1
//	    profile: hikvision-ds2cd  # <profiles>/hikvision-ds2cd.yaml
//	    console: {port: /dev/ttyUSB0, baud: 115200, data_bits: 8, parity: none, stop_bits: 1}
//	    power: {driver: numato, port: /dev/ttyACM0, channel: 0}   # power.Config
//	    press: {driver: numato, port: /dev/ttyACM0, channel: 1, max_hold: 45s}
//	    led:   {driver: numato-gpio, port: /dev/ttyACM0, pin: 0, active_low: false, poll: 10ms}
//	    api:   {url: http://192.168.1.64, user: admin, password_file: /etc/camrig/cam1}
//	    nvr_port: 1
//	sim: {...}                  # opaque: only the simulator reads it
//
// Each power, press and led binding is checked by its driver's registered
// Check (harness/drivers links every driver in): the keys it needs, their
// ranges and forms, whether it may drive a press. Loading never opens a
// driver.
//
// Secrets come only from password_env / password_file (and community_env for
// SNMP); a literal password is refused. Load checks that every *_env
// variable is set but never reads a value into an error. *_file secrets are
// not read at load time: the virtual rig writes them when it starts.
//
// Leases are flock(2) locks on LockDir/<unit>.lock, which records the
// holder's pid, host, start time and the shape of its command line (program,
// subcommand and flag names; never an argument value). The kernel drops a
// lock when its process dies, so a crashed run never blocks the next one;
// the next lease reports the dead holder as reclaimed (Lease.Reclaimed), and
// the next Open makes the unit safe before anything else: every Open
// releases the solenoid, and one that takes over from a dead holder also
// sets power to its safe state and records the take-over on the timeline. The
// default lock directory is per user; on a bench shared by several users set
// lock_dir to a directory they can all write.
//
// A rig file with a lab: section leases its units in the lab's etcd instead
// (harness/lab): the same Lease, holder record (with user and run id) and
// take-over, kept alive by the holder and lost within the TTL when it dies
// or is cut off. A lost lease stops the run driving the unit (its switches
// refuse every edge but the safe one) and leaves the unit safe. Reservations
// (Reserve) and shared runs (ClaimRun) work in a lab; reservations also on
// one host, as files beside the lock files.
package rig
