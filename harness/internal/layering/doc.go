// Package layering holds the test that enforces the import rules of
// harness/README.md's layer table: which harness package may import which
// (in tests too), that the harness library depends on nothing outside
// harness/ but what its tests drive, and that the simulator (a separate
// device) depends on nothing of the harness but the shared wire formats.
package layering
