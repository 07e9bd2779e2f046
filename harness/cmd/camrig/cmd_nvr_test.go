package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/camrig/camrig/harness/camera"
	"github.com/camrig/camrig/harness/secret"
	"github.com/camrig/camrig/rigs/virtual/isapisim"
	"github.com/camrig/camrig/rigs/virtual/isapisim/simtest"
	"github.com/camrig/camrig/rigs/virtual/nvrsim"
)

// nvrRig runs the virtual NVR with two virtual units on PoE ports 1 and 2:
// cam1 comes up inactive (the NVR activates it with its camera password),
// cam2 was activated with another password. The rig also has cam3 on port
// 3, where nothing is plugged in.
func nvrRig(t *testing.T) string {
	t.Helper()
	const nvrPW, camPW = "Nvr-Admin-Pass1", "Nvr-Cam-Pass1"
	cam1 := simtest.NewCamera(t, "cam1", "127.0.0.71", isapisim.Config{Model: "m"})
	cam2 := simtest.NewCamera(t, "cam2", "127.0.0.72", isapisim.Config{Model: "m"})
	c2, err := camera.New(camera.Config{Name: "cam2", URL: cam2.URL, User: "admin", Password: secret.Literal("Other-Pass99"), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Activate(context.Background(), secret.Literal("Other-Pass99")); err != nil {
		t.Fatal(err)
	}
	addr := simtest.FreeAddr(t, "127.0.0.70")
	probed := make(chan struct{}, 16)
	n, err := nvrsim.New(nvrsim.Config{Addr: addr, Password: nvrPW, CameraPassword: camPW, Ports: 4, Poll: time.Hour,
		OnProbe: func() { probed <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []*simtest.Camera{cam1, cam2} {
		if err := n.Wire(i+1, c.URL, c.Powered); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := n.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-probed: // the first pass, which activates cam1
	case <-time.After(10 * time.Second):
		t.Fatal("the virtual NVR did not probe its ports")
	}
	pw := writeSecret(t, t.TempDir(), "nvr", nvrPW)
	top := fmt.Sprintf("nvr: {api: \"http://%s\", user: admin, password_file: %s}\n", addr, pw)
	units := ""
	for i := 1; i <= 3; i++ {
		units += fmt.Sprintf("  - name: cam%d\n    profile: hikvision-ds2cd\n    console: {port: /dev/x%d}\n    nvr_port: %d\n", i, i, i)
	}
	return writeRig(t, top, units)
}

func TestNVRChannelsShowsOnlinePortAndDetectResult(t *testing.T) {
	rigPath := nvrRig(t)
	stdout, _ := wantExit(t, exitOK, "nvr", "channels", "--rig", rigPath)
	rows := []*regexp.Regexp{
		regexp.MustCompile(`(?m)^1 +1 +cam1 +online +connect +127\.0\.0\.71 `),
		regexp.MustCompile(`(?m)^2 +2 +cam2 +offline +errorUserNameOrPasswd +127\.0\.0\.72 `),
		regexp.MustCompile(`(?m)^- +3 +cam3 +no channel`),
	}
	for _, re := range rows {
		if !re.MatchString(stdout) {
			t.Errorf("nvr channels has no row matching %s:\n%s", re, stdout)
		}
	}
}

func TestNVRUsageAndErrors(t *testing.T) {
	noNVR := writeRig(t, "", "  - name: cam1\n    profile: blink\n    console: {port: /dev/x}\n")
	pw := writeSecret(t, t.TempDir(), "nvr", "Nvr-Admin-Pass1")
	down := writeRig(t, fmt.Sprintf("nvr: {api: \"http://%s\", user: admin, password_file: %s}\n", simtest.FreeAddr(t, "127.0.0.73"), pw),
		"  - name: cam1\n    profile: blink\n    console: {port: /dev/x}\n")
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no action", []string{"nvr", "--rig", noNVR}, exitUsage, "want the action channels"},
		{"unknown action", []string{"nvr", "reboot", "--rig", noNVR}, exitUsage, "want the action channels"},
		{"no nvr", []string{"nvr", "channels", "--rig", noNVR}, exitFailed, "has no nvr section"},
		{"nvr down", []string{"nvr", "channels", "--rig", down}, exitFailed, "nvr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := wantExit(t, tt.want, tt.args...)
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Fatalf("stderr does not mention %q:\n%s", tt.wantStderr, stderr)
			}
		})
	}
}
