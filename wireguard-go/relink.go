/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: `wireguard-go wireguard4netns-link`, reload's change of
 * a running tunnel's link, with the daemon's own code for it (link.go).
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"flag"
	"fmt"
	"os"
)

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
