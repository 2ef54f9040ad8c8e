/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of udpbuffers.go. Copied into the patched wireguard-go
 * tree at build time, as udpbuffers.go is.
 */

package main

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
)

// openBind opens wireguard-go's own bind (which sets its buffers as the
// daemon's does) on a thread without capabilities when dropCaps, as an
// unprivileged daemon's, and returns what udpBufferNotice says of it.
func openBind(t *testing.T, dropCaps bool) string {
	t.Helper()
	type result struct {
		notice string
		err    error
	}
	done := make(chan result)
	go func() {
		// Never unlocked: the thread, with its dropped capabilities, ends with this goroutine.
		runtime.LockOSThread()
		if dropCaps {
			hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
			var none [2]unix.CapUserData // version 3: two words of each set
			if err := unix.Capset(&hdr, &none[0]); err != nil {
				done <- result{err: err}
				return
			}
		}
		bind := conn.NewDefaultBind()
		if _, _, err := bind.Open(0); err != nil {
			done <- result{err: err}
			return
		}
		defer bind.Close()
		done <- result{notice: udpBufferNotice()}
	}()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	return r.notice
}

// Unprivileged, the buffers are capped at the host's rmem_max and
// wmem_max: the notice names exactly the sysctls below 7 MiB, whatever
// this host's values are.
func TestUDPBufferNoticeUnprivileged(t *testing.T) {
	notice := openBind(t, true)
	for _, name := range []string{"rmem_max", "wmem_max"} {
		v := sysctlValue(name)
		if v < 0 {
			t.Fatalf("cannot read net.core.%s", name)
		}
		named := strings.Contains(notice, "net.core."+name+"=7340032")
		if named != (v < wantedSocketBuffer) {
			t.Errorf("net.core.%s is %d; notice: %q", name, v, notice)
		}
	}
}

// The tun's ioctls open unbound UDP sockets with default buffers while
// the daemon runs: they are not the bind's, and must not make a notice.
func TestUDPBuffersOnlyBoundSockets(t *testing.T) {
	socket := func(rcvbuf int) int {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		for _, opt := range []int{unix.SO_RCVBUF, unix.SO_SNDBUF} {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, opt, rcvbuf); err != nil {
				t.Fatal(err)
			}
		}
		return fd
	}
	socket(1) // the kernel's smallest, unbound: an ioctl's
	bound := socket(64 << 10)
	if err := unix.Bind(bound, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	rcv, snd, ok := udpBuffers()
	if !ok || rcv != 64<<10 || snd != 64<<10 {
		t.Errorf("udpBuffers() = %d, %d, %v; want the bound socket's 65536, 65536, true", rcv, snd, ok)
	}
}

// With CAP_NET_ADMIN (root, as a rootful daemon), SO_*BUFFORCE lifts the cap: no notice.
func TestUDPBufferNoticePrivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, for CAP_NET_ADMIN")
	}
	if notice := openBind(t, false); notice != "" {
		t.Errorf("notice with CAP_NET_ADMIN: %q", notice)
	}
}

func TestBufferNotice(t *testing.T) {
	if got := bufferNotice(7<<20, 8<<20, 4<<20, 4<<20); got != "" {
		t.Errorf("full buffers: %q", got)
	}
	want := "UDP buffers capped below the 7 MiB wireguard-go asks for (receive 4 MiB, net.core.rmem_max is 4194304; send 0.5 MiB, net.core.wmem_max is 524288), " +
		"which limits throughput at high rates; as root on the host: sysctl -w net.core.rmem_max=7340032 net.core.wmem_max=7340032"
	if got := bufferNotice(4<<20, 512<<10, 4<<20, 512<<10); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := bufferNotice(7<<20, 4<<20, -1, -1); !strings.HasSuffix(got, "(send 4 MiB), which limits throughput at high rates; as root on the host: sysctl -w net.core.wmem_max=7340032") {
		t.Errorf("send only, sysctls unknown: %q", got)
	}
}
