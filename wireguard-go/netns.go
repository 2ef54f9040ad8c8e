/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: acting inside another network namespace, from a thread
 * moved into it.
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

// netnsInode identifies a network namespace.
func netnsInode(ns *os.File) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(ns.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
