package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/camrig/camrig/harness/fwimage"
)

func init() {
	register(command{name: "image", summary: "build or check camrig-format firmware images", run: runImage})
}

const imageAbout = `image build wraps a payload (kernel, rootfs, a vendor's blob) in camrig's
firmware header for one model, so a profile with flash.image.format: camrig
accepts it: camrig image build --model M --version V --payload F [--out IMG]
(default: the payload's name with .img appended).
image check prints what an image file is (camrig, uImage, FIT) and fails
if its header or CRCs are bad.`

// maxPayload bounds what image build reads: a camera's firmware partition
// is tens of MiB; anything larger is the wrong file.
const maxPayload = 256 << 20

func runImage(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f := newFlags("image build --model M --version V --payload F [--out IMG] | image check IMG", imageAbout, stderr)
	model := f.String("model", "", "model the image is for (the profile's model)")
	version := f.String("version", "", "firmware version string")
	payload := f.String("payload", "", "payload file")
	out := f.String("out", "", "image file to write (default: PAYLOAD.img)")
	pos, code, ok := f.parse(args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return f.usageErr("want build or check")
	}
	switch pos[0] {
	case "build":
		if len(pos) != 1 {
			return f.usageErr("unexpected argument %q", pos[1])
		}
		if *model == "" || *payload == "" {
			return f.usageErr("build needs --model and --payload")
		}
		if *out == "" {
			*out = *payload + ".img"
		}
		data, err := readBounded(*payload, maxPayload)
		if err != nil {
			fmt.Fprintf(stderr, "camrig image build: %v\n", err)
			return exitFailed
		}
		img, err := fwimage.NewImage(*model, *version, data)
		if err != nil {
			fmt.Fprintf(stderr, "camrig image build: %v\n", err)
			return exitFailed
		}
		if err := writeAtomic(*out, img); err != nil {
			fmt.Fprintf(stderr, "camrig image build: %v\n", err)
			return exitFailed
		}
		info, _ := fwimage.Check(fwimage.Spec{Format: fwimage.FormatCamrig}, img)
		fmt.Fprintf(stdout, "wrote %s: %d bytes, %s\n", *out, len(img), info.Describe)
		return exitOK
	case "check":
		if len(pos) != 2 {
			return f.usageErr("check takes one image file")
		}
		img, err := readBounded(pos[1], maxPayload+fwimage.HeaderSize)
		if err != nil {
			fmt.Fprintf(stderr, "camrig image check: %v\n", err)
			return exitFailed
		}
		format := fwimage.Sniff(img)
		if format == "" {
			fmt.Fprintf(stderr, "camrig image check: %s: no camrig, uImage or FIT header (a raw image is checked by its SHA-256: camrig reflash --sha256)\n", pos[1])
			return exitFailed
		}
		info, err := fwimage.Check(fwimage.Spec{Format: format}, img)
		if err != nil {
			fmt.Fprintf(stderr, "camrig image check: %s: %v\n", pos[1], err)
			return exitFailed
		}
		fmt.Fprintf(stdout, "%s: %s\n", pos[1], info.Describe)
		return exitOK
	}
	return f.usageErr("unknown image command %q (want build or check)", pos[0])
}

// readBounded reads a file of at most limit bytes.
func readBounded(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return b, nil
}

// writeAtomic writes b to path through a temporary file in the same
// directory, so a failed write never leaves half an image behind.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".camrig-image-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
