/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's TUN stage. The TUN is created inside the
 * target network namespace, from a thread in it; its file descriptor works
 * from any thread. Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/tun"
)

// tunNetns is the TUN and the namespace it is in.
type tunNetns struct {
	file  *os.File // the namespace, open for the daemon's life
	inode uint64
	dev   tun.Device
}

// createTUN creates interface ifname in the network namespace at netnsPath,
// with its MTU; undo closes it.
func createTUN(netnsPath, ifname string, mtu int) (_ *tunNetns, undo func(), err error) {
	ns, err := os.Open(netnsPath)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to open network namespace: %v", err)
	}
	ino, err := netnsInode(ns)
	if err != nil {
		ns.Close()
		return nil, nil, fmt.Errorf("failed to stat network namespace: %v", err)
	}
	var tunFile *os.File
	err = inNetns(ns, func() (err error) {
		tunFile, err = openTUN(ifname)
		return err
	})
	if err != nil {
		ns.Close()
		return nil, nil, err
	}
	tdev, err := tun.CreateTUNFromFileInNetns(tunFile, mtu, netnsSocket(ns))
	if err != nil {
		tunFile.Close()
		ns.Close()
		return nil, nil, fmt.Errorf("failed to set up TUN device: %v", err)
	}
	return &tunNetns{ns, ino, tdev}, func() { tdev.Close(); ns.Close() }, nil
}

// openTUN creates the TUN interface name in the current thread's network
// namespace, with the flags current wireguard-go needs for its offloads
// (IFF_VNET_HDR enables TSO/GRO and batching).
func openTUN(name string) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("failed to open /dev/net/tun: %w", err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("invalid interface name %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("failed to create TUN device %s: %w", name, err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/net/tun"), nil
}
