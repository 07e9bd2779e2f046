package camera

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/camrig/camrig/harness/internal/isapihttp"
)

// DeviceInfo is GET /ISAPI/System/deviceInfo. DeviceName is the setting
// specs use to tell "kept" from "wiped".
type DeviceInfo struct {
	DeviceName           string
	DeviceID             string
	Model                string
	SerialNumber         string
	MACAddress           string
	FirmwareVersion      string
	FirmwareReleasedDate string
	BootVersion          string
	HardwareVersion      string
	DeviceType           string
	Manufacturer         string
	// Namespace is the XML namespace the unit used; PutDeviceInfo answers
	// in the same one.
	Namespace string
}

type deviceInfoXML struct {
	XMLName              xml.Name `xml:"DeviceInfo"`
	Version              string   `xml:"version,attr,omitempty"`
	Xmlns                string   `xml:"xmlns,attr,omitempty"`
	DeviceName           *string  `xml:"deviceName"`
	DeviceID             string   `xml:"deviceID,omitempty"`
	Model                string   `xml:"model,omitempty"`
	SerialNumber         string   `xml:"serialNumber,omitempty"`
	MACAddress           string   `xml:"macAddress,omitempty"`
	FirmwareVersion      string   `xml:"firmwareVersion,omitempty"`
	FirmwareReleasedDate string   `xml:"firmwareReleasedDate,omitempty"`
	BootVersion          string   `xml:"bootVersion,omitempty"`
	HardwareVersion      string   `xml:"hardwareVersion,omitempty"`
	DeviceType           string   `xml:"deviceType,omitempty"`
	Manufacturer         string   `xml:"manufacturer,omitempty"`
}

// ParseDeviceInfo parses a <DeviceInfo>; deviceName is required.
func ParseDeviceInfo(body []byte) (DeviceInfo, error) {
	var x deviceInfoXML
	ns, err := isapihttp.Decode(body, "DeviceInfo", &x)
	if err != nil {
		return DeviceInfo{}, err
	}
	if x.DeviceName == nil {
		return DeviceInfo{}, errors.New("<DeviceInfo> has no <deviceName>")
	}
	t := strings.TrimSpace
	return DeviceInfo{
		DeviceName: t(*x.DeviceName), DeviceID: t(x.DeviceID), Model: t(x.Model),
		SerialNumber: t(x.SerialNumber), MACAddress: t(x.MACAddress),
		FirmwareVersion: t(x.FirmwareVersion), FirmwareReleasedDate: t(x.FirmwareReleasedDate),
		BootVersion: t(x.BootVersion), HardwareVersion: t(x.HardwareVersion),
		DeviceType: t(x.DeviceType), Manufacturer: t(x.Manufacturer), Namespace: ns,
	}, nil
}

// DeviceInfo reads GET /ISAPI/System/deviceInfo (Digest auth).
func (c *Client) DeviceInfo(ctx context.Context) (DeviceInfo, error) {
	var info DeviceInfo
	err := c.get(ctx, "/ISAPI/System/deviceInfo", true, func(b []byte) (err error) {
		info, err = ParseDeviceInfo(b)
		return err
	})
	return info, err
}

// MaxDeviceNameLen bounds a device name (devices store 32-64 bytes; the
// harness keeps to the smaller).
const MaxDeviceNameLen = 32

func checkDeviceName(name string) error {
	if name == "" || len(name) > MaxDeviceNameLen {
		return fmt.Errorf("device name must be 1 to %d bytes", MaxDeviceNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return errors.New("device name contains a control character")
		}
	}
	return nil
}

// PutDeviceInfo writes PUT /ISAPI/System/deviceInfo (Digest auth).
func (c *Client) PutDeviceInfo(ctx context.Context, info DeviceInfo) error {
	if err := checkDeviceName(info.DeviceName); err != nil {
		return fmt.Errorf("%s: PUT /ISAPI/System/deviceInfo: %w", c.h.Peer(), err)
	}
	ns := info.Namespace
	if ns == "" {
		ns = isapihttp.NamespaceISAPI
	}
	name := info.DeviceName
	body, err := xml.Marshal(deviceInfoXML{
		Version: "2.0", Xmlns: ns, DeviceName: &name, DeviceID: info.DeviceID,
		Model: info.Model, SerialNumber: info.SerialNumber, MACAddress: info.MACAddress,
		FirmwareVersion: info.FirmwareVersion, FirmwareReleasedDate: info.FirmwareReleasedDate,
		BootVersion: info.BootVersion, HardwareVersion: info.HardwareVersion,
		DeviceType: info.DeviceType, Manufacturer: info.Manufacturer,
	})
	if err != nil {
		return fmt.Errorf("%s: PUT /ISAPI/System/deviceInfo: %w", c.h.Peer(), err)
	}
	return c.put(ctx, "/ISAPI/System/deviceInfo", append([]byte(xml.Header), body...))
}

// SetDeviceName reads the device info, changes deviceName and writes it
// back (the unit expects the whole document).
func (c *Client) SetDeviceName(ctx context.Context, name string) error {
	if err := checkDeviceName(name); err != nil {
		return fmt.Errorf("%s: set device name: %w", c.h.Peer(), err)
	}
	info, err := c.DeviceInfo(ctx)
	if err != nil {
		return err
	}
	info.DeviceName = name
	return c.PutDeviceInfo(ctx, info)
}
