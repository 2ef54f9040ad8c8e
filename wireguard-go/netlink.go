/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the rtnetlink requests link.go sends (an address, a
 * route), encoded here, from the thread that is in the target network
 * namespace: no `ip` to spawn, no nsenter.
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

func ifIndex(name string) (int32, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("failed to get the index of %s: %w", name, err)
	}
	return int32(ifr.Uint32()), nil
}

type netlink struct {
	fd  int
	seq uint32
}

// request sends one message and waits for the kernel's acknowledgement.
func (nl *netlink) request(typ uint16, flags uint16, payload []byte) error {
	nl.seq++
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(payload))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(unix.NLMSG_HDRLEN+len(payload)))
	binary.NativeEndian.PutUint16(msg[4:6], typ)
	binary.NativeEndian.PutUint16(msg[6:8], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:12], nl.seq)
	msg = append(msg, payload...)
	if err := unix.Sendto(nl.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(nl.fd, buf, 0)
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq != nl.seq || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			if errno := int32(binary.NativeEndian.Uint32(m.Data[0:4])); errno != 0 {
				return unix.Errno(-errno)
			}
			return nil
		}
	}
}

// attribute encodes one rtattr, padded to 4 bytes.
func attribute(typ uint16, data []byte) []byte {
	b := make([]byte, unix.SizeofRtAttr, rtaAlign(unix.SizeofRtAttr+len(data)))
	binary.NativeEndian.PutUint16(b[0:2], uint16(unix.SizeofRtAttr+len(data)))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	b = append(b, data...)
	return b[:cap(b)]
}

func rtaAlign(n int) int { return (n + unix.RTA_ALIGNTO - 1) &^ (unix.RTA_ALIGNTO - 1) }

func family(p netip.Prefix) uint8 {
	if p.Addr().Is4() {
		return unix.AF_INET
	}
	return unix.AF_INET6
}

// addressMessage is "ip address add A dev IFACE" (with nodad for IPv6:
// nothing else in the namespace can hold the address).
func addressMessage(a netip.Prefix, index int32) []byte {
	msg := make([]byte, unix.SizeofIfAddrmsg)
	msg[0] = family(a)
	msg[1] = uint8(a.Bits())
	if a.Addr().Is6() {
		msg[2] = unix.IFA_F_NODAD
	}
	binary.NativeEndian.PutUint32(msg[4:8], uint32(index))
	addr := a.Addr().AsSlice()
	msg = append(msg, attribute(unix.IFA_LOCAL, addr)...)
	return append(msg, attribute(unix.IFA_ADDRESS, addr)...)
}

// routeMessage is "ip route replace R dev IFACE", with the scope iproute2
// picks: link for IPv4 without a gateway, universe for IPv6.
func routeMessage(r netip.Prefix, index int32) []byte {
	msg := make([]byte, unix.SizeofRtMsg)
	msg[0] = family(r)
	msg[1] = uint8(r.Bits())
	msg[4] = unix.RT_TABLE_MAIN
	msg[5] = unix.RTPROT_BOOT
	msg[6] = unix.RT_SCOPE_UNIVERSE
	if r.Addr().Is4() {
		msg[6] = unix.RT_SCOPE_LINK
	}
	msg[7] = unix.RTN_UNICAST
	if r.Bits() > 0 {
		msg = append(msg, attribute(unix.RTA_DST, r.Masked().Addr().AsSlice())...)
	}
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, uint32(index))
	return append(msg, attribute(unix.RTA_OIF, oif)...)
}
