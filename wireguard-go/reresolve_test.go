/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of reresolve.go. Copied into the patched wireguard-go
 * tree at build time, as reresolve.go is.
 */

package main

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/conn/bindtest"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/tuntest"
)

const (
	keyHex  = "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"
	keyHex2 = "0b4f3c49f9ee5f8e3e46e1b2f3c6e71ec5b8f2a8b1e5a0f7c3d9e4b2a1f0e9d8"
)

// Set takes PUBKEYHEX=HOST:PORT, the key in either case, the host a name
// or an address (IPv6 in brackets).
func TestReresolveFlagValid(t *testing.T) {
	var f reresolveFlag
	for _, v := range []string{keyHex + "=vpn.example.com:51820", strings.ToUpper(keyHex) + "=[2001:db8::1]:1", keyHex + "=192.0.2.1:65535"} {
		if err := f.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	want := reresolveFlag{{keyHex, "vpn.example.com", 51820}, {keyHex, "2001:db8::1", 1}, {keyHex, "192.0.2.1", 65535}}
	if !reflect.DeepEqual(f, want) || f.String() != "3 entries" {
		t.Errorf("got %v (%s), want %v", f, f.String(), want)
	}
}

// Set refuses anything else, with the error that says what it expected,
// and keeps nothing of it.
func TestReresolveFlagInvalid(t *testing.T) {
	form := "expected PUBKEYHEX=HOST:PORT, got %q"
	port := "expected a port from 1 to 65535 in %q"
	for _, c := range []struct{ value, err string }{
		{keyHex, form},                                // no =
		{keyHex + "vpn.example.com:51820", form},      // no =, the key runs on
		{keyHex[2:] + "=vpn.example.com:51820", form}, // a key too short
		{"zz" + keyHex[2:] + "=vpn.example.com:51820", form},
		{base64Key(t) + "=vpn.example.com:51820", form}, // the key as wg prints it
		{keyHex + "=vpn.example.com", form},             // no port
		{keyHex + "=:51820", form},                      // no host
		{keyHex + "=2001:db8::1:51820", form},           // IPv6 without brackets
		{keyHex + "=vpn.example.com:0", port},
		{keyHex + "=vpn.example.com:65536", port},
		{keyHex + "=vpn.example.com:http", port},
		{keyHex + "=vpn.example.com:-1", port},
	} {
		var f reresolveFlag
		err := f.Set(c.value)
		if want := fmt.Sprintf(c.err, c.value); err == nil || err.Error() != want {
			t.Errorf("Set(%q) = %v, want %s", c.value, err, want)
		}
		if len(f) != 0 {
			t.Errorf("Set(%q) kept %v", c.value, f)
		}
	}
}

func base64Key(t *testing.T) string {
	b, err := hex.DecodeString(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// testDevice is a device on an in-memory TUN and bind: nothing it does
// reaches a network.
func testDevice(t *testing.T, config string) *device.Device {
	t.Helper()
	dev := device.NewDevice(tuntest.NewChannelTUN().TUN(), bindtest.NewChannelBinds()[0], device.NewLogger(device.LogLevelSilent, ""))
	t.Cleanup(dev.Close)
	if err := dev.IpcSet(config); err != nil {
		t.Fatal(err)
	}
	return dev
}

// peerStatuses reads each peer's endpoint (invalid when unset) and its
// last handshake (zero when never) from the device, by hex public key.
func TestPeerStatuses(t *testing.T) {
	dev := testDevice(t, "private_key="+keyHex2+"\npublic_key="+keyHex+"\nendpoint=192.0.2.1:51820\npublic_key="+keyHex2[:62]+"00\n")
	peers, err := peerStatuses(dev)
	if err != nil {
		t.Fatal(err)
	}
	// The in-memory bind keeps only the port: it prints 127.0.0.1:PORT.
	want := map[string]*peerStatus{keyHex: {endpoint: netip.MustParseAddrPort("127.0.0.1:51820")}, keyHex2[:62] + "00": {}}
	if !reflect.DeepEqual(peers, want) {
		t.Errorf("got %v, want %v", peers, want)
	}
}

// reresolveOne moves a peer not heard from for a while to the host's
// address (a literal here: no DNS), and leaves one heard from recently.
func TestReresolveOne(t *testing.T) {
	dev := testDevice(t, "private_key="+keyHex2+"\npublic_key="+keyHex+"\nendpoint=192.0.2.1:1\n")
	entry := reresolveEntry{keyHex, "192.0.2.9", 2}
	logger := device.NewLogger(device.LogLevelSilent, "")
	endpoint := func() netip.AddrPort {
		peers, err := peerStatuses(dev)
		if err != nil {
			t.Fatal(err)
		}
		return peers[keyHex].endpoint
	}
	reresolveOne(dev, logger, entry, &peerStatus{endpoint: endpoint(), lastHandshake: time.Now().Add(-time.Minute)})
	if got := endpoint(); got.Port() != 1 {
		t.Errorf("a peer heard from a minute ago was moved to %v", got)
	}
	reresolveOne(dev, logger, entry, &peerStatus{endpoint: endpoint()})
	if got := endpoint(); got.Port() != 2 {
		t.Errorf("a peer never heard from is at %v, want port 2", got)
	}
}
