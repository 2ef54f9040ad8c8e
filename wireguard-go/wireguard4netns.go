/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon mode of the patched wireguard-go. The TUN
 * lives in a container's network namespace, the UDP socket in ours. Its
 * stages, each in the file that owns it: claim the folder (folder.go; a
 * start that finds it served joins, join.go) -> the TUN (tun.go) ->
 * the device (device.go) -> the config (config.go) -> the link (link.go)
 * -> serve (serve.go) -> the lifetime (lifetime.go).
 * Copied into the patched wireguard-go tree at build time; main.go calls
 * wireguard4netnsMain for `wireguard-go wireguard4netns ...`.
 */

package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// wireguard4netnsMain runs the daemon. Its contract with the caller:
//   - it creates <dir> and holds its lock for life (folder.go): one daemon
//     per namespace and interface. If another start holds it, it waits
//     (-join-timeout) and reports "joined" once that one is ready, or takes
//     over if that one dies.
//   - -config-fd (the caller passes 0, a pipe) carries the device's UAPI
//     configuration, the body of a "set=1" request ending with a blank
//     line: keys travel through a pipe or the UAPI socket, never argv or
//     the environment. With -config-flags its first line is a JSON array
//     of the flags that come from the config (lateOptions): the caller can
//     start the daemon before it has read and checked the config (the
//     hook's first process does, hook.go), and both work at once. A caller
//     that finds the config bad closes the pipe short or kills the daemon:
//     nothing is configured from a part.
//   - with -identity (on that line: it holds preshared keys) it derives
//     the public key from the private key, refuses a peer with that key
//     ("self-peer"), and adds configIdentity, a digest of both
//     (identity.go), to state.json. A start that finds the tunnel served
//     reports "joined" when the running one has the same identity, else
//     "joined other".
//   - fd 3 (-ready-fd) receives (report.go) "ready <phases>" once the TUN exists in the
//     target namespace with its MTU, -address and -route, the configuration
//     is applied, the device is up (its UDP port bound), the UAPI socket
//     <dir>/<interface>.sock accepts connections and <dir>/state.json is
//     written; or "joined"; or "error: <why>" if any of it failed; then it
//     is closed. Before that, "owner" once it holds the folder: from then
//     on its setup is bounded. One spawn and one pipe: nothing to poll.
//   - when the kernel capped its UDP buffers (udpbuffers.go), it logs which
//     sysctl to raise and puts that line in state.json (udpBufferNotice).
//   - it logs to <dir>/daemon.log, bounded by -log-max (logfile.go).
//   - once ready, it removes the tunnel folders beside <dir> that no
//     daemon holds (sweep, folder.go): what killed daemons left.
//   - with -no-link it leaves the link down and without addresses or
//     routes, for a caller that sets them (the original wireguard4netns's
//     users); with -socket-dir its UAPI socket is there instead.
//   - every -reresolve-interval, it re-resolves the hosts of -reresolve
//     peers that had no handshake for a while (see reresolve.go).
//   - it exits when no process is left in the target namespace (when
//     -watch-pid is given; with -await-process, once a first process has
//     come, or when none came in time), on SIGTERM/SIGINT, or when its
//     socket is deleted (lifetime.go), and removes <dir> on the way out. Killed, it leaves <dir>
//     unlocked, for the next start's sweep, or a pods install's poststop
//     hook, to remove.
func wireguard4netnsMain(args []string) int {
	o, err := parseDaemonOptions(args)
	if err != nil {
		return 2
	}
	clock := newPhases()
	// One tunnel per daemon, and a host runs many: like slirp4netns and
	// pasta, it runs on one core at most, from its start. One P spares the
	// datapath the handoffs between threads that were the largest part of
	// its CPU per byte; the device then runs one worker of each kind
	// (wireguard-go.patch), and the setup, which runs beside Node's start
	// on the container's path, takes less CPU (docs/performance.md has the
	// alternated measurements).
	runtime.GOMAXPROCS(1)
	// The setup allocates the device's buffers (tens of MiB, mostly never
	// touched) in one burst, while the container's start waits for it and
	// for the Node beside it: no collection runs until it is ready.
	gcPercent := debug.SetGCPercent(-1)
	// Key material lives in this process: no core dumps, no ptrace.
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)
	r := reporter{os.NewFile(uintptr(o.readyFd), "ready")}
	if err := o.check(); err != nil {
		return r.refuse(err)
	}
	lock, served, err := claimFolder(o.dir, o.ifname, o.joinTimeout)
	if served {
		return r.end(join(o.dir, o.configFd, o.configFlags, &o.lateOptions))
	} else if err != nil {
		return r.refuse(err) // not ours: nothing in the folder may be touched
	}
	defer lock.Close()
	r.say(reportOwner)
	log, err := openDaemonLog(o.dir, o.ifname, o.logMax, o.verbose)
	if err != nil {
		os.RemoveAll(o.dir)
		return r.refuse(err)
	}
	t, undo, err := setUp(o, log, clock)
	if err != nil {
		log.Errorf("%v", err)
		undo()
		os.RemoveAll(o.dir)
		return r.refuse(err)
	}
	r.end(reportReady(clock.String()), 0)
	debug.SetGCPercent(gcPercent)
	afterReady(o.dir, o.ifname, log, t.notice)
	// The setup's garbage would stay in dirty pages for the daemon's life:
	// the next collection is due when the heap doubles, which an idle
	// tunnel never does, and the scavenger keeps what is under that goal.
	// One collection now (in place of the one the line above would start),
	// and every free page back to the kernel.
	debug.FreeOSMemory()
	log.Verbosef("wireguard4netns: %s ready in %s, watching pid %d", o.ifname, o.netns, o.watchPid)
	live(o.watchPid, o.awaitProcess, t.netnsInode, t.dev, log.Logger, t.uapiGone, o.reresolve, o.reresolveInterval)
	// No one may join from here on; the folder goes while the lock is held.
	os.Remove(filepath.Join(o.dir, stateFile))
	undo()
	os.RemoveAll(o.dir)
	return 0
}

// tunnel is what the setup made that the daemon lives with.
type tunnel struct {
	netnsInode uint64
	dev        *device.Device
	notice     string // the UDP buffers' (udpbuffers.go)
	uapiGone   <-chan error
}

// setUp runs the stages from the identity lock to serving, in order;
// undo closes what they made, last first: on failure, or at the end.
func setUp(o *daemonOptions, log *daemonLog, clock *phases) (_ *tunnel, undo func(), err error) {
	var made undoStack
	undo = made.run
	if o.identityLock != "" {
		release, err := claimIdentity(o.identityLock, o.dir)
		if err != nil {
			return nil, undo, err
		}
		made.push(release)
	}
	ns, closeTUN, err := createTUN(o.netns, o.ifname, o.mtu)
	if err != nil {
		return nil, undo, err
	}
	made.push(closeTUN)
	clock.mark("tun")
	dev, uapiFile, closeDevice, err := startDevice(ns.dev, o.ifname, o.socketDir, o.udpBroker, log.Logger)
	if err != nil {
		return nil, undo, err
	}
	made.push(closeDevice)
	clock.mark("device")
	config, err := readLateConfig(o.configFd, o.configFlags, &o.lateOptions, ns.file, o.ifname)
	if err != nil {
		return nil, undo, err
	}
	log.verbose.Store(o.verbose)
	clock.mark("config wait")
	// The device's configuration and the link (MTU, addresses, routes, up)
	// touch different things: both at once, on the start's path. No packet
	// reaches the link before the container's process starts.
	linked := make(chan error, 1)
	go func() {
		if o.noLink {
			linked <- nil
			return
		}
		linked <- setUpLink(ns.file, o.ifname, o.addresses, o.routes)
	}()
	identity, err := applyConfig(dev, config, o.identity)
	if linkErr := <-linked; err == nil {
		err = linkErr
	}
	if err != nil {
		return nil, undo, err
	}
	// The bind is open now, on its final port: did it get its buffers?
	// (Logged once ready: the log's first timestamp loads the time zone.)
	notice := udpBufferNotice()
	clock.mark("config and link")
	uapiGone, closeUAPI, err := serve(o.dir, o.ifname, o.state, dev, uapiFile, map[string]string{"udpBufferNotice": notice, "configIdentity": identity})
	if err != nil {
		return nil, undo, err
	}
	made.push(closeUAPI)
	clock.mark("uapi")
	return &tunnel{netnsInode: ns.inode, dev: dev, notice: notice, uapiGone: uapiGone}, undo, nil
}

// daemonOptions are the daemon's command line; lateOptions may also come
// on the config's first line.
type daemonOptions struct {
	netns, ifname, dir, socketDir, identityLock, udpBroker string
	watchPid, readyFd, configFd                            int
	logMax                                                 int64
	joinTimeout, awaitProcess, reresolveInterval           time.Duration
	noLink, configFlags                                    bool
	lateOptions
}

func parseDaemonOptions(args []string) (*daemonOptions, error) {
	o := &daemonOptions{lateOptions: lateOptions{mtu: device.DefaultMTU}}
	flags := flag.NewFlagSet("wireguard-go wireguard4netns", flag.ContinueOnError)
	flags.StringVar(&o.netns, "netns", "", "network namespace to create the TUN in (e.g. /proc/PID/ns/net)")
	flags.StringVar(&o.ifname, "interface", "wg0", "name of the TUN interface")
	flags.StringVar(&o.dir, "dir", "", "the tunnel folder: lock, UAPI socket, state and log; removed on exit")
	flags.IntVar(&o.watchPid, "watch-pid", 0, "exit when this process and every other process of the namespace are gone")
	flags.IntVar(&o.readyFd, "ready-fd", 3, "file descriptor to report readiness on")
	flags.IntVar(&o.configFd, "config-fd", -1, "file descriptor to read the UAPI configuration from, up to a blank line")
	flags.Int64Var(&o.logMax, "log-max", 1<<20, "bytes of <dir>/daemon.log before it moves to daemon.log.1")
	flags.DurationVar(&o.joinTimeout, "join-timeout", 4*time.Second, "how long to wait for another start of the same tunnel to finish")
	flags.StringVar(&o.socketDir, "socket-dir", "", "directory of the UAPI socket <interface>.sock (default: -dir); deleting the socket ends the daemon")
	flags.BoolVar(&o.noLink, "no-link", false, "leave the link state, addresses and routes to the caller")
	flags.DurationVar(&o.awaitProcess, "await-process", 0, "without -watch-pid: wait this long for a first process in the namespace, then live as long as its processes (netavark's setup comes before the container's)")
	flags.StringVar(&o.identityLock, "identity-lock", "", "a folder whose lock this daemon holds for life: refused if another daemon holds it (identity.go)")
	flags.StringVar(&o.udpBroker, "udp-broker", "", "take the UDP sockets from the broker on this Unix socket, made in its network namespace (udpbroker.go)")
	flags.DurationVar(&o.reresolveInterval, "reresolve-interval", 2*time.Minute, "how often to re-resolve -reresolve hosts")
	flags.BoolVar(&o.configFlags, "config-flags", false, "the configuration's first line is a JSON array of -mtu, -address, -route, -state, -reresolve, -identity and -verbose")
	o.lateOptions.define(flags)
	if err := flags.Parse(args); err != nil {
		return nil, err
	}
	if o.socketDir == "" {
		o.socketDir = o.dir
	}
	return o, nil
}

// check refuses options the daemon cannot start with.
func (o *daemonOptions) check() error {
	if o.netns == "" || o.dir == "" {
		return errors.New("-netns and -dir are required")
	}
	if o.reresolveInterval <= 0 || o.logMax <= 0 {
		return errors.New("-reresolve-interval and -log-max must be positive")
	}
	return nil
}

// undoStack holds what to close on the way out, the last made first.
type undoStack []func()

func (u *undoStack) push(f func()) { *u = append(*u, f) }

func (u *undoStack) run() {
	for i := len(*u) - 1; i >= 0; i-- {
		(*u)[i]()
	}
	*u = nil
}

// phases notes how long each setup step took since main began.
type phases struct {
	last  time.Time
	steps []string
}

func newPhases() *phases {
	// Go's runtime starts before main: its share shows as the spawn time
	// the caller sees minus the sum of these.
	return &phases{last: time.Now()}
}

func (p *phases) mark(step string) {
	now := time.Now()
	p.steps = append(p.steps, fmt.Sprintf("%s %.1f ms", step, float64(now.Sub(p.last).Microseconds())/1000))
	p.last = now
}

func (p *phases) String() string { return strings.Join(p.steps, ", ") }
