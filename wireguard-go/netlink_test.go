/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of link.go and its rtnetlink encoding (netlink.go).
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// What iproute2 6.1.0 sent for the same requests, captured in a throwaway
// namespace where the interface had index 2:
//
//	unshare -n sh -c 'ip tuntap add wgt0 mode tun && ip link set wgt0 up &&
//	  strace -e trace=sendmsg -e write=3 ip address add 198.51.100.2/32 dev wgt0'
//
// (likewise for each line below). Each is the whole netlink message: a
// 16-byte nlmsghdr (length, type, flags, sequence number, port id), then
// the payload that addressMessage/routeMessage build. The sequence number
// differs per run, so only the payload and the length are compared; the
// type and flags (RTM_NEWADDR 0x14 with 0x605 = REQUEST|ACK|EXCL|CREATE,
// RTM_NEWROUTE 0x18 with 0x505 = REQUEST|ACK|REPLACE|CREATE) are the ones
// configureLink and request pass.
var iproute2 = []struct {
	command string
	prefix  string
	build   func(netip.Prefix, int32) []byte
	sent    string
	omitted string // what iproute2 sends and we do not, in sent's spelling
}{
	{"ip address add 198.51.100.2/32 dev wgt0", "198.51.100.2/32", addressMessage,
		"28000000 1400 0506 aac00b6b 00000000  02 20 00 00 02000000  0800 0200 c6336402  0800 0100 c6336402", ""},
	{"ip address add 10.7.0.2/24 dev wgt0", "10.7.0.2/24", addressMessage,
		"28000000 1400 0506 aac00b6b 00000000  02 18 00 00 02000000  0800 0200 0a070002  0800 0100 0a070002", ""},
	{"ip address add 2001:db8::2/128 dev wgt0 nodad", "2001:db8::2/128", addressMessage,
		"40000000 1400 0506 aac00b6b 00000000  0a 80 02 00 02000000" +
			"  1400 0200 20010db8000000000000000000000002  1400 0100 20010db8000000000000000000000002", ""},
	{"ip route replace 192.0.2.0/24 dev wgt0", "192.0.2.0/24", routeMessage,
		"2c000000 1800 0505 aac00b6b 00000000  02 18 00 00 fe 03 fd 01 00000000  0800 0100 c0000200  0800 0400 02000000", ""},
	{"ip route replace default dev wgt0", "0.0.0.0/0", routeMessage,
		"24000000 1800 0505 aac00b6b 00000000  02 00 00 00 fe 03 fd 01 00000000  0800 0400 02000000", ""},
	{"ip route replace 2001:db8:1::/48 dev wgt0", "2001:db8:1::/48", routeMessage,
		"38000000 1800 0505 aac00b6b 00000000  0a 30 00 00 fe 03 00 01 00000000" +
			"  1400 0100 20010db8000100000000000000000000  0800 0400 02000000", ""},
	// iproute2 sends RTA_DST :: here, which the kernel ignores with a
	// prefix length of 0; routeMessage sends no RTA_DST for any default
	// route, as iproute2 does for IPv4. TestConfigureLinkInNamespace shows
	// the kernel makes the same route of it.
	{"ip -6 route replace default dev wgt0", "::/0", routeMessage,
		"38000000 1800 0505 aac00b6b 00000000  0a 00 00 00 fe 03 00 01 00000000" +
			"  1400 0100 00000000000000000000000000000000  0800 0400 02000000",
		"1400 0100 00000000000000000000000000000000"},
}

// addressMessage and routeMessage build the payload iproute2 sends.
func TestMessagesAsIproute2(t *testing.T) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		t.Skip("the fixtures are little-endian")
	}
	for _, c := range iproute2 {
		sent, omitted := fromHex(t, c.sent), fromHex(t, c.omitted)
		want := strings.Replace(hex.EncodeToString(sent[unix.NLMSG_HDRLEN:]), hex.EncodeToString(omitted), "", 1)
		got := c.build(netip.MustParsePrefix(c.prefix), 2)
		if hex.EncodeToString(got) != want {
			t.Errorf("%s:\n got  %x\n want %s", c.command, got, want)
		}
		if n := int(binary.NativeEndian.Uint32(sent)); n != unix.NLMSG_HDRLEN+len(got)+len(omitted) {
			t.Errorf("%s: iproute2's nlmsg_len %d does not add up with our %d bytes", c.command, n, len(got))
		}
	}
}

func fromHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// routeMessage masks a prefix with host bits set (iproute2 refuses it).
func TestRouteMessageMasks(t *testing.T) {
	a, b := routeMessage(netip.MustParsePrefix("192.0.2.77/24"), 7), routeMessage(netip.MustParsePrefix("192.0.2.0/24"), 7)
	if hex.EncodeToString(a) != hex.EncodeToString(b) {
		t.Errorf("got %x, want %x", a, b)
	}
}

// attribute pads to 4 bytes and counts only the unpadded length.
func TestAttribute(t *testing.T) {
	for _, c := range []struct {
		data []byte
		want string
	}{
		{nil, "04000900"},
		{[]byte{1}, "0500090001000000"},
		{[]byte{1, 2, 3, 4}, "0800090001020304"},
		{[]byte{1, 2, 3, 4, 5}, "090009000102030405000000"},
	} {
		if got := hex.EncodeToString(attribute(9, c.data)); got != c.want {
			t.Errorf("attribute(9, %x) = %s, want %s", c.data, got, c.want)
		}
	}
	for n, want := range map[int]int{0: 0, 1: 4, 3: 4, 4: 4, 5: 8, 17: 20} {
		if got := rtaAlign(n); got != want {
			t.Errorf("rtaAlign(%d) = %d, want %d", n, got, want)
		}
	}
}

// family tells IPv4 from IPv6, IPv4-mapped IPv6 counting as IPv6.
func TestFamily(t *testing.T) {
	for p, want := range map[string]uint8{"10.0.0.0/8": unix.AF_INET, "::/0": unix.AF_INET6, "::ffff:10.0.0.1/128": unix.AF_INET6} {
		if got := family(netip.MustParsePrefix(p)); got != want {
			t.Errorf("family(%s) = %d, want %d", p, got, want)
		}
	}
}
