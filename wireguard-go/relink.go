/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: changing a running tunnel's link (reload). The same
 * rtnetlink code as the daemon's start sets the addresses, routes and MTU,
 * from a thread in the tunnel's network namespace: one owner for that
 * state, and no `ip` to spawn. Copied into the patched wireguard-go tree at
 * build time.
 */

package main

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"

	"golang.org/x/sys/unix"
)

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

// relinkMain is `wireguard-go wireguard4netns-link`: what reload changes
// on a running tunnel's interface. Its caller gives it capabilities over
// the namespace (nsenter --user). One line on stderr and exit 1 on error.
func relinkMain(args []string) int {
	flags := flag.NewFlagSet("wireguard-go wireguard4netns-link", flag.ContinueOnError)
	netnsPath := flags.String("netns", "", "the tunnel's network namespace")
	ifname := flags.String("interface", "wg0", "the interface")
	var c linkChange
	flags.IntVar(&c.mtu, "mtu", 0, "new MTU (0: unchanged)")
	flags.Var((*prefixFlag)(&c.delRoutes), "del-route", "CIDR: a route to remove (repeatable)")
	flags.Var((*prefixFlag)(&c.delAddresses), "del-address", "CIDR: an address to remove (repeatable)")
	flags.Var((*prefixFlag)(&c.addAddresses), "address", "CIDR: an address to add (repeatable)")
	flags.Var((*prefixFlag)(&c.routes), "route", "CIDR: a route to add or keep (repeatable)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	ns, err := os.Open(*netnsPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "failed to open network namespace: %v\n", err)
		return 1
	}
	defer ns.Close()
	if err := inNetns(ns, func() error { return applyLinkChange(*ifname, c) }); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n", err)
		return 1
	}
	return 0
}
