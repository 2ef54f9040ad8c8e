/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: binding the daemon to the life of a network namespace's
 * processes. Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// awaitNetnsEmpty returns once no process is left in the network namespace
// with inode ino, starting with pid. The TUN's file descriptor keeps the
// namespace alive, so the daemon must watch its processes: a pidfd wakes it
// the moment the watched process exits, and only then does it look for
// another one (the next container of a pod, say) in /proc.
func awaitNetnsEmpty(pid int, ino uint64) {
	for pid > 0 {
		awaitExit(pid)
		pid = processInNetns(ino)
	}
}

// awaitExit blocks until process pid has exited.
func awaitExit(pid int) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return // ESRCH: already gone
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		if !errors.Is(err, unix.EINTR) {
			return
		}
	}
}

// processInNetns returns a live process in the network namespace ino, or 0.
func processInNetns(ino uint64) int {
	proc, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	defer proc.Close()
	names, _ := proc.Readdirnames(-1)
	self := os.Getpid()
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if unix.Stat("/proc/"+name+"/ns/net", &st) == nil && st.Ino == ino {
			return pid
		}
	}
	return 0
}

// awaitFirstProcess returns the first process seen in the network namespace
// ino, polling /proc until grace has passed (then 0). For a namespace no
// process is in yet: netavark runs a network plugin's setup before the
// container's process exists, so there is no pid to watch, and nothing
// tells when one enters. Once one has, awaitNetnsEmpty takes over; if none
// comes (podman was killed before it started the container), the daemon
// ends at the bound instead of living on with the namespace.
func awaitFirstProcess(ino uint64, grace time.Duration) int {
	for deadline := time.Now().Add(grace); ; time.Sleep(50 * time.Millisecond) {
		if pid := processInNetns(ino); pid > 0 {
			return pid
		}
		if time.Now().After(deadline) {
			return 0
		}
	}
}
