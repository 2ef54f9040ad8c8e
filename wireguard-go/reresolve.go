/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: re-resolving endpoint hostnames, as wireguard-tools'
 * reresolve-dns.sh does from a timer. Copied into the patched wireguard-go
 * tree at build time.
 */

package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"golang.zx2c4.com/wireguard/device"
)

// A peer that completed a handshake this recently is reachable where it
// is, maybe roamed there: its endpoint is left alone (as reresolve-dns.sh).
const reresolveAfterHandshake = 135 * time.Second

const reresolveLookupTimeout = 5 * time.Second

// reresolveEntry is one -reresolve PUBKEYHEX=HOST:PORT.
type reresolveEntry struct {
	publicKey string // lower-case hex, as the UAPI prints it
	host      string
	port      uint16
}

// reresolveFlag collects repeated -reresolve flags.
type reresolveFlag []reresolveEntry

func (f *reresolveFlag) String() string {
	return fmt.Sprintf("%d entries", len(*f))
}

func (f *reresolveFlag) Set(value string) error {
	key, hostPort, ok := strings.Cut(value, "=")
	raw, err := hex.DecodeString(key)
	if !ok || err != nil || len(raw) != device.NoisePublicKeySize {
		return fmt.Errorf("expected PUBKEYHEX=HOST:PORT, got %q", value)
	}
	host, portText, err := net.SplitHostPort(hostPort)
	if err != nil || host == "" {
		return fmt.Errorf("expected PUBKEYHEX=HOST:PORT, got %q", value)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 {
		return fmt.Errorf("expected a port from 1 to 65535 in %q", value)
	}
	*f = append(*f, reresolveEntry{hex.EncodeToString(raw), host, uint16(port)})
	return nil
}

// peerStatus is what reresolving needs of a peer in the device's UAPI dump.
type peerStatus struct {
	endpoint      netip.AddrPort // invalid when unset
	lastHandshake time.Time      // zero when never
}

// peerStatuses parses dev.IpcGet's output by public key.
func peerStatuses(dev *device.Device) (map[string]*peerStatus, error) {
	text, err := dev.IpcGet()
	if err != nil {
		return nil, err
	}
	peers := make(map[string]*peerStatus)
	var peer *peerStatus
	for _, line := range strings.Split(text, "\n") {
		key, value, _ := strings.Cut(line, "=")
		switch {
		case key == "public_key":
			peer = &peerStatus{}
			peers[value] = peer
		case peer == nil:
		case key == "endpoint":
			peer.endpoint, _ = netip.ParseAddrPort(value)
		case key == "last_handshake_time_sec":
			if secs, _ := strconv.ParseInt(value, 10, 64); secs > 0 {
				peer.lastHandshake = time.Unix(secs, 0)
			}
		}
	}
	return peers, nil
}

// reresolve looks up every entry's host each interval and moves a peer
// that has not completed a handshake for a while to the host's address,
// unless it already is at one of them. A failed lookup keeps the endpoint.
func reresolve(dev *device.Device, logger *device.Logger, entries []reresolveEntry, interval time.Duration, done <-chan struct{}) {
	for _, e := range entries {
		logger.Verbosef("re-resolving %s:%d every %v, for peer %s", e.host, e.port, interval, e.publicKey)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-done:
			return
		case <-ticker.C:
		}
		peers, err := peerStatuses(dev)
		if err != nil {
			logger.Errorf("reresolve: cannot read the device: %v", err)
			continue
		}
		for _, e := range entries {
			reresolveOne(dev, logger, e, peers[e.publicKey])
		}
	}
}

func reresolveOne(dev *device.Device, logger *device.Logger, e reresolveEntry, peer *peerStatus) {
	if peer == nil || time.Since(peer.lastHandshake) < reresolveAfterHandshake {
		return // not configured (yet), or recently heard from
	}
	ctx, cancel := context.WithTimeout(context.Background(), reresolveLookupTimeout)
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", e.host)
	cancel()
	if err != nil || len(addrs) == 0 {
		logger.Errorf("reresolve: cannot resolve %s, keeping endpoint %v: %v", e.host, peer.endpoint, err)
		return
	}
	for _, a := range addrs {
		if netip.AddrPortFrom(a.Unmap(), e.port) == peer.endpoint {
			return
		}
	}
	// The first address: Go's resolver sorts DNS answers by RFC 6724, as
	// getaddrinfo does for the hook.
	endpoint := netip.AddrPortFrom(addrs[0].Unmap(), e.port)
	if err := dev.IpcSet(fmt.Sprintf("public_key=%s\nupdate_only=true\nendpoint=%s\n", e.publicKey, endpoint)); err != nil {
		logger.Errorf("reresolve: cannot set endpoint %s for %s: %v", endpoint, e.host, err)
		return
	}
	logger.Verbosef("reresolve: %s moved from %v to %s", e.host, peer.endpoint, endpoint)
}
