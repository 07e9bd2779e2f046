// Package notation is what camrig's own YAML files mean by a few values, for
// both of their readers: the harness (harness/rig, harness/profile) and the
// simulated bench (rigs/virtual), which otherwise read the rig and profile
// files independently, each with its own structs. A notation read two ways
// would let one file mean one thing to the harness and another to the
// simulator, so these few facts live here once:
//
//   - byte sizes and addresses (16MiB, 64KiB, 0x80000, 4096);
//   - the one variable a rig file may use, ${state_dir};
//   - the environment variable that overrides a rig file's state_dir.
//
// Device protocols (YMODEM and its CRC-16, HTTP Digest) are not here: the
// simulator implements those on its own on purpose, so a bug on one side
// shows.
package notation

// StateDirVar is the one variable a rig file may use: it expands to the
// rig's state directory in every path and URL.
const StateDirVar = "${state_dir}"

// StateDirEnv, when set, overrides a rig file's state_dir for the harness
// and the simulator alike, so two checkouts (or CI jobs, or test packages)
// run their own virtual rigs side by side.
const StateDirEnv = "CAMRIG_STATE_DIR"
