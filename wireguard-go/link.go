/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's link stage, and reload's changes to a
 * running tunnel's link (relink.go): what wg-quick does to the interface
 * (link up, MTU, addresses and a route per AllowedIPs), from a thread in
 * the tunnel's network namespace. One owner for that state, and no `ip` to
 * spawn. The rtnetlink requests are github.com/vishvananda/netlink's, as
 * the CNI plugins make them (docs/performance.md, "The link stage": what it costs).
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// setUpLink sets interface ifname up in the namespace ns, with its
// addresses and routes.
func setUpLink(ns *os.File, ifname string, addresses, routes []netip.Prefix) error {
	return inNetns(ns, func() error { return setUpLinkHere(ifname, addresses, routes) })
}

// setUpLinkHere is setUpLink in the current thread's network namespace.
// The link goes up first: IPv4 routes cannot be added through a link that
// is down.
func setUpLinkHere(ifname string, addresses, routes []netip.Prefix) error {
	return withLink(ifname, func(h *netlink.Handle, link netlink.Link) error {
		if err := h.LinkSetUp(link); err != nil {
			return fmt.Errorf("failed to set %s up: %w", ifname, err)
		}
		return change(h, link, linkChange{addAddresses: addresses, routes: routes})
	})
}

// linkChange takes an interface from what was applied to what is wanted:
// removals first (a missing route or address is not an error), then the
// MTU, new addresses and every route (replaced, so an existing one is kept).
type linkChange struct {
	delRoutes, delAddresses, addAddresses, routes []netip.Prefix
	mtu                                           int // 0: unchanged
}

// applyLinkChange makes c in the current thread's network namespace. A new
// MTU reaches the daemon's TUN through its link listener.
func applyLinkChange(ifname string, c linkChange) error {
	return withLink(ifname, func(h *netlink.Handle, link netlink.Link) error { return change(h, link, c) })
}

// withLink runs fn with a netlink socket in the current thread's network
// namespace and interface ifname.
func withLink(ifname string, fn func(*netlink.Handle, netlink.Link) error) error {
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("failed to open a netlink socket: %w", err)
	}
	defer h.Close()
	link, err := h.LinkByName(ifname)
	if err != nil {
		return fmt.Errorf("failed to find %s: %w", ifname, err)
	}
	return fn(h, link)
}

func change(h *netlink.Handle, link netlink.Link, c linkChange) error {
	ifname := link.Attrs().Name
	for _, r := range c.delRoutes {
		if err := h.RouteDel(route(r, link)); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("failed to remove route %s dev %s: %w", r, ifname, err)
		}
	}
	for _, a := range c.delAddresses {
		if err := h.AddrDel(link, address(a)); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("failed to remove address %s from %s: %w", a, ifname, err)
		}
	}
	if c.mtu > 0 {
		if err := h.LinkSetMTU(link, c.mtu); err != nil {
			return fmt.Errorf("failed to set the MTU of %s to %d: %w", ifname, c.mtu, err)
		}
	}
	for _, a := range c.addAddresses {
		if err := h.AddrAdd(link, address(a)); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("failed to add address %s to %s: %w", a, ifname, err)
		}
	}
	for _, r := range c.routes {
		if err := h.RouteReplace(route(r, link)); err != nil {
			return fmt.Errorf("failed to add route %s dev %s: %w", r, ifname, err)
		}
	}
	return nil
}

// address is "ip address add A dev IFACE": no broadcast address, and nodad
// for IPv6 (nothing else in the namespace can hold the address).
func address(a netip.Prefix) *netlink.Addr {
	addr := &netlink.Addr{IPNet: ipNet(a)}
	if a.Addr().Is6() {
		addr.Flags = unix.IFA_F_NODAD
	} else {
		addr.Broadcast = net.IPv4zero // none: netlink would derive one
	}
	return addr
}

// route is "ip route replace R dev IFACE", with the scope iproute2 picks:
// link for IPv4 without a gateway, universe for IPv6.
func route(r netip.Prefix, link netlink.Link) *netlink.Route {
	scope := netlink.SCOPE_UNIVERSE
	if r.Addr().Is4() {
		scope = netlink.SCOPE_LINK
	}
	return &netlink.Route{LinkIndex: link.Attrs().Index, Dst: ipNet(r.Masked()), Scope: scope}
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// setMTU is "ip link set dev IFACE mtu N", in the current thread's
// network namespace.
func setMTU(ifname string, mtu int) error {
	return applyLinkChange(ifname, linkChange{mtu: mtu})
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
