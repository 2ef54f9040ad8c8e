/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of link.go, against the kernel in a throwaway
 * network namespace (root only). Copied into the patched wireguard-go tree
 * at build time.
 */

package main

import (
	"flag"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// setUpLinkHere, against the kernel in a throwaway namespace, gives a TUN
// the addresses and routes ip shows, and refuses an address it already has.
func TestConfigureLinkInNamespace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, for a network namespace and a TUN")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2)")
	}
	addresses := []netip.Prefix{netip.MustParsePrefix("198.51.100.2/32"), netip.MustParsePrefix("2001:db8::2/128")}
	routes := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:1::/48"),
		netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	var shown string
	errc := make(chan error, 1)
	go func() {
		// This thread's namespace dies with it: it stays locked, so it
		// ends with the goroutine, and the TUN is closed before.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		tunFile, err := openTUN("wgtest0")
		if err != nil {
			errc <- err
			return
		}
		defer tunFile.Close()
		if err := setUpLinkHere("wgtest0", addresses, routes); err != nil {
			errc <- err
			return
		}
		// Adding what is there already is no error: reload relies on it.
		if err := applyLinkChange("wgtest0", linkChange{addAddresses: addresses[:1]}); err != nil {
			t.Errorf("adding an address twice: %v, want no error", err)
		}
		// A child forked from this thread is in its namespace.
		out, err := exec.Command("sh", "-c", "ip -o address show dev wgtest0; ip route show dev wgtest0; ip -6 route show dev wgtest0").CombinedOutput()
		shown = string(out)
		errc <- err
	}()
	if err := <-errc; err != nil {
		t.Fatal(err, shown)
	}
	for _, want := range []string{
		"inet 198.51.100.2/32 scope global wgtest0", "inet6 2001:db8::2/128 scope global nodad",
		"\ndefault scope link \n", "\n192.0.2.0/24 scope link \n",
		"\n2001:db8:1::/48 metric 1024 pref medium\n", "\ndefault metric 1024 pref medium\n",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("ip shows no %q in:\n%s", want, shown)
		}
	}
}

// inThrowawayNetns runs fn on a locked thread in a new network namespace,
// which dies with that thread.
func inThrowawayNetns(tb testing.TB, fn func()) {
	if os.Geteuid() != 0 {
		tb.Skip("needs root, for a network namespace and a TUN")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			tb.Error(err)
			return
		}
		fn()
	}()
	<-done
}

// The link stage as the daemon runs it (setUpLink, without its thread):
// a new TUN set up with two addresses and four routes, each time. For
// docs/performance.md, "The link stage".
func BenchmarkLinkStage(b *testing.B) {
	addresses := []netip.Prefix{netip.MustParsePrefix("198.51.100.2/32"), netip.MustParsePrefix("2001:db8::2/128")}
	routes := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24"), netip.MustParsePrefix("2001:db8:1::/48"),
		netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}
	inThrowawayNetns(b, func() {
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			tunFile, err := openTUN("wgbench0")
			if err != nil {
				b.Error(err)
				return
			}
			b.StartTimer()
			if err := setUpLinkHere("wgbench0", addresses, routes); err != nil {
				b.Error(err)
			}
			b.StopTimer()
			tunFile.Close()
		}
	})
}

// -address and -route collect CIDRs, a route's host bits included, and
// refuse an address without its length.
func TestPrefixFlag(t *testing.T) {
	var p prefixFlag
	flags := flag.NewFlagSet("test", flag.ContinueOnError)
	flags.Var(&p, "route", "")
	if err := flags.Parse([]string{"-route", "10.0.0.2/32", "-route", "2001:db8::/32", "-route", "192.0.2.77/24"}); err != nil {
		t.Fatal(err)
	}
	if got := p.String(); got != "[10.0.0.2/32 2001:db8::/32 192.0.2.77/24]" {
		t.Errorf("got %s", got)
	}
	for value, want := range map[string]string{
		"10.0.0.2":    `netip.ParsePrefix("10.0.0.2"): no '/'`,
		"10.0.0.2/33": `netip.ParsePrefix("10.0.0.2/33"): prefix length out of range`,
		"wg0":         `netip.ParsePrefix("wg0"): no '/'`,
	} {
		if err := p.Set(value); err == nil || err.Error() != want {
			t.Errorf("Set(%q) = %v, want %s", value, err, want)
		}
	}
	if len(p) != 3 {
		t.Errorf("a refused value was kept: %v", p)
	}
}
