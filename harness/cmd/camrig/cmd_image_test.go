package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/camrig/camrig/harness/fwimage"
)

func TestImageBuildAndCheck(t *testing.T) {
	dir := t.TempDir()
	payload := filepath.Join(dir, "rootfs.bin")
	must(t, os.WriteFile(payload, bytes.Repeat([]byte("kernel"), 1000), 0o644))
	img := filepath.Join(dir, "fw.img")
	var out, errb bytes.Buffer
	code := runMain([]string{"image", "build", "--model", "no-button", "--version", "V5.5.71", "--payload", payload, "--out", img}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	b, err := os.ReadFile(img)
	must(t, err)
	h, err := fwimage.Parse(b)
	if err != nil || h.Model != "no-button" || h.Version != "V5.5.71" || h.PayloadLen != 6000 {
		t.Fatalf("built %+v, %v", h, err)
	}
	// Without --out, next to the payload.
	if code := runMain([]string{"image", "build", "--model", "m", "--version", "v", "--payload", payload}, &out, &errb); code != exitOK {
		t.Fatalf("default --out: exit %d: %s", code, errb.String())
	}
	if b, err := os.ReadFile(payload + ".img"); err != nil || !bytes.HasPrefix(b, []byte("CAMRIGFW")) {
		t.Fatalf("default --out: %v", err)
	}
	out.Reset()
	if code := runMain([]string{"image", "check", img}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "camrig image for no-button, version V5.5.71") {
		t.Fatalf("check: exit %d, %q %q", code, out.String(), errb.String())
	}
	b[200] ^= 1
	must(t, os.WriteFile(img, b, 0o644))
	errb.Reset()
	if code := runMain([]string{"image", "check", img}, &out, &errb); code != exitFailed || !strings.Contains(errb.String(), "payload CRC mismatch") {
		t.Fatalf("corrupt: exit %d, %q", code, errb.String())
	}

	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"image", "build", "--model", "", "--payload", payload, "--out", img}, exitUsage, "needs --model and --payload"},
		{[]string{"image", "build", "--model", "m\x01", "--payload", payload, "--out", img}, exitFailed, "printable ASCII"},
		{[]string{"image", "build", "--model", "m", "--payload", payload + ".none", "--out", img}, exitFailed, "no such file"},
		{[]string{"image", "frob"}, exitUsage, "unknown image command"},
		{[]string{"image", "check", payload}, exitFailed, "no camrig, uImage or FIT header"},
	} {
		var out, errb bytes.Buffer
		if code := runMain(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, %q", tc.args, code, errb.String())
		}
	}
}
