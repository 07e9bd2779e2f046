// Package layering holds the test that enforces the import rules written in
// harness/README.md:
// the harness library never depends on the simulator, the specs or the
// reports, and the simulator (a separate device) depends on nothing of the
// harness but the shared wire formats.
package layering
