/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's link stage, and reload's changes to a
 * running tunnel's link (relink.go): what wg-quick does to the interface
 * (link up, MTU, addresses and a route per AllowedIPs), from a thread in
 * the tunnel's network namespace. One owner for that state, and no `ip` to
 * spawn. Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"fmt"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

// setUpLink sets interface ifname up in the namespace ns, with its
// addresses and routes.
func setUpLink(ns *os.File, ifname string, addresses, routes []netip.Prefix) error {
	return inNetns(ns, func() error {
		if err := linkUp(ifname); err != nil {
			return err
		}
		return configureLink(ifname, addresses, routes)
	})
}

// configureLink gives interface ifname its addresses and routes, in the
// current thread's network namespace. The link must be up: IPv4 routes
// cannot be added through a link that is down.
func configureLink(ifname string, addresses, routes []netip.Prefix) error {
	return applyLinkChange(ifname, linkChange{addAddresses: addresses, routes: routes})
}

// linkUp sets IFF_UP on interface name, in the current thread's namespace.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to get flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to set %s up: %w", name, err)
	}
	return nil
}

// linkChange takes an interface from what was applied to what is wanted:
// removals first (a missing route or address is not an error), then the
// MTU, new addresses and every route (replaced, so an existing one is kept).
type linkChange struct {
	delRoutes, delAddresses, addAddresses, routes []netip.Prefix
	mtu                                           int // 0: unchanged
}

// applyLinkChange makes c in the current thread's network namespace.
func applyLinkChange(ifname string, c linkChange) error {
	index, err := ifIndex(ifname)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("failed to open a netlink socket: %w", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("failed to bind a netlink socket: %w", err)
	}
	nl := netlink{fd: fd}
	for _, r := range c.delRoutes {
		if err := nl.request(unix.RTM_DELROUTE, 0, routeMessage(r, index)); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("failed to remove route %s dev %s: %w", r, ifname, err)
		}
	}
	for _, a := range c.delAddresses {
		if err := nl.request(unix.RTM_DELADDR, 0, addressMessage(a, index)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("failed to remove address %s from %s: %w", a, ifname, err)
		}
	}
	if c.mtu > 0 {
		if err := setMTU(ifname, c.mtu); err != nil {
			return err
		}
	}
	for _, a := range c.addAddresses {
		if err := nl.request(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, addressMessage(a, index)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("failed to add address %s to %s: %w", a, ifname, err)
		}
	}
	for _, r := range c.routes {
		if err := nl.request(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, routeMessage(r, index)); err != nil {
			return fmt.Errorf("failed to add route %s dev %s: %w", r, ifname, err)
		}
	}
	return nil
}

// setMTU is "ip link set dev IFACE mtu N"; the daemon's TUN learns it from
// its link listener in the same namespace.
func setMTU(ifname string, mtu int) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return err
	}
	ifr.SetUint32(uint32(mtu))
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFMTU, ifr); err != nil {
		return fmt.Errorf("failed to set the MTU of %s to %d: %w", ifname, mtu, err)
	}
	return nil
}

// prefixFlag collects repeated CIDR flags.
type prefixFlag []netip.Prefix

func (p *prefixFlag) String() string { return fmt.Sprint(*p) }

func (p *prefixFlag) Set(s string) error {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return err
	}
	*p = append(*p, prefix)
	return nil
}
