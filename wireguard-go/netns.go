/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: opening a TUN inside another network namespace.
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// inNetns runs fn on a fresh OS thread moved into the network namespace ns.
// The thread is never moved back and never unlocked, so it ends with its
// goroutine: a process in a child user namespace may not re-enter the host
// network namespace, and no other goroutine may run in the wrong one.
func inNetns(ns *os.File, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("failed to enter network namespace %s: %w", ns.Name(), err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// netnsSocket returns a socket opener for tun.CreateTUNFromFileInNetns.
func netnsSocket(ns *os.File) func(domain, typ, proto int) (int, error) {
	return func(domain, typ, proto int) (fd int, err error) {
		err = inNetns(ns, func() error {
			fd, err = unix.Socket(domain, typ, proto)
			return err
		})
		return fd, err
	}
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

// linkUp sets IFF_UP on interface name, in the current thread's namespace.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to get flags of %s: %w", name, err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("failed to set %s up: %w", name, err)
	}
	return nil
}

// netnsInode identifies a network namespace.
func netnsInode(ns *os.File) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
