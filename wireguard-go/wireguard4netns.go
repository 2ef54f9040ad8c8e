/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon mode of the patched wireguard-go. The TUN
 * lives in a container's network namespace, the UDP socket in ours.
 * Copied into the patched wireguard-go tree at build time; main.go calls
 * wireguard4netnsMain for `wireguard-go wireguard4netns ...`.
 */

package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

// wireguard4netnsMain runs the daemon. Its contract with the caller:
//   - fd 3 (-ready-fd) receives "ready\n" once the TUN exists in the target
//     namespace with its MTU set and the UAPI socket accepts connections, or
//     "error: <why>\n" if setup failed; then it is closed.
//   - the UAPI socket is <dir>/<interface>.sock; keys arrive only through it.
//   - every -reresolve-interval, it re-resolves the hosts of -reresolve
//     peers that had no handshake for a while (see reresolve.go).
//   - it exits when no process is left in the target namespace (when
//     -watch-pid is given), on SIGTERM/SIGINT, or when its socket is
//     deleted, and removes <dir> on the way out.
func wireguard4netnsMain(args []string) int {
	flags := flag.NewFlagSet("wireguard-go wireguard4netns", flag.ContinueOnError)
	netnsPath := flags.String("netns", "", "network namespace to create the TUN in (e.g. /proc/PID/ns/net)")
	ifname := flags.String("interface", "wg0", "name of the TUN interface")
	mtu := flags.Int("mtu", device.DefaultMTU, "MTU of the TUN interface")
	dir := flags.String("dir", "", "directory of the UAPI socket; removed on exit")
	watchPid := flags.Int("watch-pid", 0, "exit when this process and every other process of the namespace are gone")
	readyFd := flags.Int("ready-fd", 3, "file descriptor to report readiness on")
	verbose := flags.Bool("verbose", false, "log every packet-level event")
	var reresolveEntries reresolveFlag
	flags.Var(&reresolveEntries, "reresolve", "PUBKEYHEX=HOST:PORT: re-resolve this peer's endpoint host (repeatable)")
	reresolveInterval := flags.Duration("reresolve-interval", 2*time.Minute, "how often to re-resolve -reresolve hosts")
	if err := flags.Parse(args); err != nil {
		return 2
	}

	// Key material lives in this process: no core dumps, no ptrace.
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	ready := os.NewFile(uintptr(*readyFd), "ready")
	level := device.LogLevelError
	if *verbose {
		level = device.LogLevelVerbose
	}
	logger := device.NewLogger(level, fmt.Sprintf("(%s) ", *ifname))
	fail := func(format string, a ...any) int {
		msg := fmt.Sprintf(format, a...)
		logger.Errorf("%s", msg)
		fmt.Fprintf(ready, "error: %s\n", msg)
		ready.Close()
		if *dir != "" {
			os.RemoveAll(*dir)
		}
		return 1
	}
	if *netnsPath == "" || *dir == "" {
		return fail("-netns and -dir are required")
	}
	if *reresolveInterval <= 0 {
		return fail("-reresolve-interval must be positive")
	}

	// Open the TUN inside the target network namespace, and set it up at
	// once: wireguard-go binds its UDP socket only while the device is up,
	// and a listen_port that cannot be bound must fail the UAPI request
	// that sets it, not a later, silent link-up.
	ns, err := os.Open(*netnsPath)
	if err != nil {
		return fail("failed to open network namespace: %v", err)
	}
	ino, err := netnsInode(ns)
	if err != nil {
		return fail("failed to stat network namespace: %v", err)
	}
	var tunFile *os.File
	err = inNetns(ns, func() (err error) {
		if tunFile, err = openTUN(*ifname); err != nil {
			return err
		}
		return linkUp(*ifname)
	})
	if err != nil {
		return fail("%v", err)
	}
	tdev, err := tun.CreateTUNFromFileInNetns(tunFile, *mtu, netnsSocket(ns))
	if err != nil {
		tunFile.Close()
		return fail("failed to set up TUN device: %v", err)
	}

	// Listen on the UAPI socket before anything can be configured.
	ipc.SetSocketDirectory(*dir)
	fileUAPI, err := ipc.UAPIOpen(*ifname)
	if err != nil {
		tdev.Close()
		return fail("UAPI listen error: %v", err)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), logger)
	if err := dev.Up(); err != nil {
		dev.Close()
		return fail("failed to bring the device up: %v", err)
	}
	uapi, err := ipc.UAPIListen(*ifname, fileUAPI)
	if err != nil {
		dev.Close()
		return fail("failed to listen on UAPI socket: %v", err)
	}
	errs := make(chan error, 1)
	go func() {
		for {
			c, err := uapi.Accept()
			if err != nil {
				errs <- err
				return
			}
			go dev.IpcHandle(c)
		}
	}()

	fmt.Fprintln(ready, "ready")
	ready.Close()
	logger.Verbosef("wireguard4netns: %s ready in %s, watching pid %d", *ifname, *netnsPath, *watchPid)

	done := make(chan struct{})
	if len(reresolveEntries) > 0 {
		go reresolve(dev, logger, reresolveEntries, *reresolveInterval, done)
	}

	// Live as long as the namespace's processes, or until told to stop.
	emptied := make(chan struct{})
	if *watchPid > 0 {
		go func() {
			awaitNetnsEmpty(*watchPid, ino)
			close(emptied)
		}()
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, unix.SIGTERM, os.Interrupt)
	select {
	case <-term:
		logger.Verbosef("wireguard4netns: terminated")
	case <-errs:
		logger.Verbosef("wireguard4netns: UAPI socket gone")
	case <-dev.Wait():
	case <-emptied:
		logger.Verbosef("wireguard4netns: no process left in the namespace")
	}
	close(done)
	uapi.Close()
	dev.Close()
	os.RemoveAll(*dir)
	return 0
}
