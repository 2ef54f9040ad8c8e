/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's lifetime stage: bound to the life of a
 * network namespace's processes, or told to stop. Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"os"
	"os/signal"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// live is the daemon's life once ready: it re-resolves the entries' hosts
// every interval (reresolve.go) and returns when no process is left in the
// namespace ino (watching watchPid, or the first process seen within
// awaitProcess; neither given: never), on SIGTERM or SIGINT, when the UAPI
// listener ends (uapiGone: its socket was deleted) or the device closes.
func live(watchPid int, awaitProcess time.Duration, ino uint64, dev *device.Device, logger *device.Logger,
	uapiGone <-chan error, entries reresolveFlag, interval time.Duration) {
	done := make(chan struct{})
	defer close(done)
	if len(entries) > 0 {
		go reresolve(dev, logger, entries, interval, done)
	}
	emptied := make(chan struct{})
	if watchPid > 0 || awaitProcess > 0 {
		go func() {
			pid := watchPid
			if pid == 0 {
				pid = awaitFirstProcess(ino, awaitProcess)
			}
			awaitNetnsEmpty(pid, ino)
			close(emptied)
		}()
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, unix.SIGTERM, os.Interrupt)
	select {
	case <-term:
		logger.Verbosef("wireguard4netns: terminated")
	case <-uapiGone:
		logger.Verbosef("wireguard4netns: UAPI socket gone")
	case <-dev.Wait():
	case <-emptied:
		logger.Verbosef("wireguard4netns: no process left in the namespace")
	}
}

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

// processInNetns returns a live process in the network namespace ino, or 0:
// one that lives there, all its threads in it. A runtime that has a thread
// in the namespace is only visiting: CRI-O was seen with its main thread
// left in a pod's namespace (the one /proc/PID/ns/net shows) and every
// other thread in its own. Counted, it kept the pod's tunnel up after the
// pod had ended, until the kubelet killed what was left in the pod's cgroup.
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
		if unix.Stat("/proc/"+name+"/ns/net", &st) == nil && st.Ino == ino && threadsInNetns("/proc/"+name+"/task", ino) {
			return pid
		}
	}
	return 0
}

// threadsInNetns tells whether every thread listed in tasks (/proc/PID/task)
// is in the network namespace ino; one that ends meanwhile is not counted.
func threadsInNetns(tasks string, ino uint64) bool {
	dir, err := os.Open(tasks)
	if err != nil {
		return false // the process ended
	}
	defer dir.Close()
	tids, _ := dir.Readdirnames(-1)
	for _, tid := range tids {
		var st unix.Stat_t
		if unix.Stat(tasks+"/"+tid+"/ns/net", &st) == nil && st.Ino != ino {
			return false
		}
	}
	return true
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
