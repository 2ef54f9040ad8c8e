/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the daemon's config stage (config.go). Copied
 * into the patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/tun/tuntest"
)

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
