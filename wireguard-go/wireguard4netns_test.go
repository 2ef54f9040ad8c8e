/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the daemon's options and its config stage
 * (wireguard4netns.go, config.go, link.go's prefixFlag). Copied into the
 * patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/tuntest"
)

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

// readFromPipe gives readConfig what was written to a pipe and closed.
func readFromPipe(t *testing.T, written string) (string, error) {
	return readFromPipeWith(t, written, false, nil)
}

func readFromPipeWith(t *testing.T, written string, flagsLine bool, define func(*flag.FlagSet)) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() { w.WriteString(written); w.Close() }() // may exceed the pipe's buffer
	// readConfig closes the fd it is given: give it its own.
	fd, err := unix.Dup(int(r.Fd()))
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	return readConfig(fd, flagsLine, define)
}

// readConfig takes a configuration up to its blank line, refuses one cut
// short or over 1 MiB, and reads nothing without an fd.
func TestReadConfig(t *testing.T) {
	if got, err := readFromPipe(t, "private_key=aa\nlisten_port=1\n\n"); err != nil || got != "private_key=aa\nlisten_port=1" {
		t.Errorf("whole: %q, %v", got, err)
	}
	short := "it ended before its closing blank line"
	for name, text := range map[string]string{
		"cut short":       "private_key=aa\nlisten_port=1\n",
		"cut mid-line":    "private_key=a",
		"empty":           "",
		"over 1 MiB":      strings.Repeat("x", 1<<20) + "\n\n",
		"1 MiB and one":   strings.Repeat("x", 1<<20-1) + "\n\n",
		"blank line only": "\n",
	} {
		if _, err := readFromPipe(t, text); err == nil || err.Error() != short {
			t.Errorf("%s: %v, want %s", name, err, short)
		}
	}
	if got, err := readFromPipe(t, strings.Repeat("x", 1<<20-2)+"\n\n"); err != nil || len(got) != 1<<20-2 {
		t.Errorf("exactly 1 MiB: %d bytes, %v", len(got), err)
	}
	if got, err := readConfig(-1, false, nil); got != "" || err != nil {
		t.Errorf("no fd: %q, %v", got, err)
	}
}

// With -config-flags, the first line sets the flags that come from the
// config, and only those; the rest is the configuration.
func TestReadConfigFlagsLine(t *testing.T) {
	var mtu int
	var addresses prefixFlag
	define := func(set *flag.FlagSet) {
		set.IntVar(&mtu, "mtu", 1420, "")
		set.Var(&addresses, "address", "")
	}
	got, err := readFromPipeWith(t, `["-mtu","1280","-address","10.0.0.2/32","-address","fd00::2/128"]`+"\nprivate_key=aa\n\n", true, define)
	if err != nil || got != "private_key=aa" || mtu != 1280 || len(addresses) != 2 {
		t.Errorf("got %q, %v; mtu %d, addresses %v", got, err, mtu, addresses)
	}
	for name, line := range map[string]string{
		"not JSON":        `-mtu 1280`,
		"an unknown flag": `["-netns","/proc/1/ns/net"]`,
		"a bad value":     `["-mtu","many"]`,
		"a stray word":    `["-mtu","1280","extra"]`,
	} {
		if _, err := readFromPipeWith(t, line+"\nprivate_key=aa\n\n", true, define); err == nil || !strings.HasPrefix(err.Error(), "its flags line: ") {
			t.Errorf("%s: %v, want an error about the flags line", name, err)
		}
	}
}

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

// configError names ListenPort when the device cannot bind its port (a
// device without peers, on an in-memory TUN: it sends nothing), and wraps
// anything else.
func TestConfigError(t *testing.T) {
	taken, err := net.ListenUDP("udp4", &net.UDPAddr{})
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	port := taken.LocalAddr().(*net.UDPAddr).Port
	dev := device.NewDevice(tuntest.NewChannelTUN().TUN(), conn.NewDefaultBind(), device.NewLogger(device.LogLevelSilent, ""))
	defer dev.Close()
	if err := dev.Up(); err != nil {
		t.Fatal(err)
	}
	err = dev.IpcSet(fmt.Sprintf("listen_port=%d", port))
	if got, want := fmt.Sprint(configError(err)), fmt.Sprintf("ListenPort is in use (listen udp4 :%d: bind: address already in use)", port); got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	err = dev.IpcSet("private_key=zz")
	if got := configError(err); got.Error() != "failed to apply the configuration: "+err.Error() || !errors.Is(got, err) {
		t.Errorf("got %v", got)
	}
	// EADDRINUSE that is not from a listen is not about ListenPort.
	if got := configError(unix.EADDRINUSE); got.Error() != "failed to apply the configuration: address already in use" {
		t.Errorf("got %v", got)
	}
}
