/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the daemon's options and its phase times
 * (wireguard4netns.go). Copied into the patched wireguard-go tree at build
 * time.
 */

package main

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/device"
)

// phases lists each step with the milliseconds since the one before.
func TestPhases(t *testing.T) {
	p := newPhases()
	if p.String() != "" {
		t.Errorf("no steps yet: %q", p)
	}
	p.mark("tun")
	time.Sleep(20 * time.Millisecond)
	p.mark("config wait")
	m := regexp.MustCompile(`^tun (\d+\.\d) ms, config wait (\d+\.\d) ms$`).FindStringSubmatch(p.String())
	if m == nil {
		t.Fatalf("got %q", p)
	}
	var first, second float64
	fmt.Sscan(m[1], &first)
	fmt.Sscan(m[2], &second)
	if first > second || second < 20 {
		t.Errorf("got %q, want config wait at least the 20 ms slept, and tun less", p)
	}
}

// The command line sets every option, the late ones included; the socket
// goes in the tunnel folder unless told otherwise; check refuses what the
// daemon cannot start with.
func TestParseDaemonOptions(t *testing.T) {
	o, err := parseDaemonOptions([]string{"-netns", "/proc/42/ns/net", "-dir", "/run/w/7-wg0", "-mtu", "1380",
		"-address", "10.0.0.2/32", "-watch-pid", "42", "-config-flags", "-no-link"})
	if err != nil {
		t.Fatal(err)
	}
	if o.netns != "/proc/42/ns/net" || o.socketDir != "/run/w/7-wg0" || o.mtu != 1380 || len(o.addresses) != 1 ||
		o.watchPid != 42 || !o.configFlags || !o.noLink || o.ifname != "wg0" || o.configFd != -1 || o.readyFd != 3 {
		t.Errorf("got %+v", o)
	}
	if err := o.check(); err != nil {
		t.Errorf("check: %v", err)
	}
	if o, _ := parseDaemonOptions([]string{"-dir", "/d", "-socket-dir", "/s"}); o.socketDir != "/s" || o.mtu != device.DefaultMTU {
		t.Errorf("got socket dir %q, MTU %d", o.socketDir, o.mtu)
	}
	for _, args := range [][]string{{"-dir", "/d"}, {"-netns", "/n", "-dir", "/d", "-log-max", "0"}} {
		if o, err := parseDaemonOptions(args); err != nil || o.check() == nil {
			t.Errorf("%q: check passed", args)
		}
	}
	if _, err := parseDaemonOptions([]string{"-nope"}); err == nil {
		t.Error("an unknown flag was taken")
	}
}
