//go:build !linux

package console

import "errors"

type pathWatch struct{}

func watchPath(string) (*pathWatch, error) {
	return nil, errors.New("path watching needs inotify (linux)")
}

func (*pathWatch) Events() <-chan struct{} { return nil }
func (*pathWatch) Close() error            { return nil }
