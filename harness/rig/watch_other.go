//go:build !linux

package rig

import "os"

// watchReleases without inotify: no event source, so a waiter wakes only
// at the recheck interval (on the injected clock, like every other wait).
func watchReleases(dir string) (*releaseWatch, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &releaseWatch{c: make(chan struct{}), done: make(chan struct{})}, nil
}
