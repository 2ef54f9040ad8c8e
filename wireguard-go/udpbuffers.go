/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: whether the kernel gave the UDP socket the buffers that
 * wireguard-go asks for. It asks for 7 MiB each way (conn/controlfns.go),
 * with SO_RCVBUF/SO_SNDBUF, which the kernel caps at net.core.rmem_max and
 * wmem_max, and then with SO_RCVBUFFORCE/SO_SNDBUFFORCE, which lift the cap
 * but need CAP_NET_ADMIN in the host's network namespace: an unprivileged
 * daemon never has it. Capped buffers cost throughput at high rates (lost
 * bursts), so the daemon says which sysctl to raise, once, in its log and
 * in state.json (status shows it). Those sysctls are host-wide: in another
 * network namespace they are read-only copies. Copied into the patched
 * wireguard-go tree at build time.
 */

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// wantedSocketBuffer is upstream's socketBufferSize (conn/controlfns.go).
const wantedSocketBuffer = 7 << 20

// udpBuffers returns the smallest receive and send buffer of this process's
// bound UDP sockets (the bind's, IPv4 and IPv6), as set: the kernel reports
// twice what it grants, for its bookkeeping. ok is false without any.
// Unbound ones are not the bind's: the tun's ioctls (its MTU, read again
// on each link event) open short-lived UDP sockets with default buffers,
// at any time.
func udpBuffers() (rcv, snd int, ok bool) {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0, 0, false
	}
	for _, e := range entries {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE); err != nil || typ != unix.SOCK_DGRAM {
			continue
		}
		if dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN); err != nil || (dom != unix.AF_INET && dom != unix.AF_INET6) {
			continue
		}
		if localPort(fd) == 0 {
			continue
		}
		r, err1 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF)
		s, err2 := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF)
		if err1 != nil || err2 != nil {
			continue
		}
		if !ok || r/2 < rcv {
			rcv = r / 2
		}
		if !ok || s/2 < snd {
			snd = s / 2
		}
		ok = true
	}
	return rcv, snd, ok
}

// localPort is the port a socket is bound to, or 0.
func localPort(fd int) int {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return 0
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		return a.Port
	case *unix.SockaddrInet6:
		return a.Port
	}
	return 0
}

// sysctlValue reads /proc/sys/net/core/NAME, or -1.
func sysctlValue(name string) int {
	b, err := os.ReadFile("/proc/sys/net/core/" + name)
	if err != nil {
		return -1
	}
	v, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return v
}

// udpBufferNotice is one line saying which sysctl to raise, or "" when the
// buffers are what wireguard-go asks for.
func udpBufferNotice() string {
	rcv, snd, ok := udpBuffers()
	if !ok {
		return ""
	}
	return bufferNotice(rcv, snd, sysctlValue("rmem_max"), sysctlValue("wmem_max"))
}

// bufferNotice words the notice for the buffers granted and the sysctls'
// values now (-1: unknown).
func bufferNotice(rcv, snd, rmemMax, wmemMax int) string {
	var short, set []string
	for _, b := range []struct {
		what, sysctl string
		got, now     int
	}{{"receive", "net.core.rmem_max", rcv, rmemMax}, {"send", "net.core.wmem_max", snd, wmemMax}} {
		if b.got >= wantedSocketBuffer {
			continue
		}
		now := ""
		if b.now >= 0 {
			now = fmt.Sprintf(", %s is %d", b.sysctl, b.now)
		}
		short = append(short, fmt.Sprintf("%s %s%s", b.what, mib(b.got), now))
		set = append(set, fmt.Sprintf("%s=%d", b.sysctl, wantedSocketBuffer))
	}
	if len(short) == 0 {
		return ""
	}
	return fmt.Sprintf("UDP buffers capped below the %s wireguard-go asks for (%s), which limits throughput at high rates; as root on the host: sysctl -w %s",
		mib(wantedSocketBuffer), strings.Join(short, "; "), strings.Join(set, " "))
}

func mib(n int) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', -1, 64) + " MiB"
}
