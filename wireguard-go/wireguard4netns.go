/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon mode of the patched wireguard-go. The TUN
 * lives in a container's network namespace, the UDP socket in ours.
 * Copied into the patched wireguard-go tree at build time; main.go calls
 * wireguard4netnsMain for `wireguard-go wireguard4netns ...`.
 */

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
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
//     of the flags that come from the config (lateFlags): the caller can
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
//   - fd 3 (-ready-fd) receives "ready <phases>" once the TUN exists in the
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
//     come, or when none came in time), on SIGTERM/SIGINT, or when its socket is
//     deleted, and removes <dir> on the way out. Killed, it leaves <dir>
//     unlocked, for the next start or the sweep (poststop) to remove.
func wireguard4netnsMain(args []string) int {
	flags := flag.NewFlagSet("wireguard-go wireguard4netns", flag.ContinueOnError)
	netnsPath := flags.String("netns", "", "network namespace to create the TUN in (e.g. /proc/PID/ns/net)")
	ifname := flags.String("interface", "wg0", "name of the TUN interface")
	late := lateOptions{mtu: device.DefaultMTU}
	late.define(flags)
	dir := flags.String("dir", "", "the tunnel folder: lock, UAPI socket, state and log; removed on exit")
	watchPid := flags.Int("watch-pid", 0, "exit when this process and every other process of the namespace are gone")
	readyFd := flags.Int("ready-fd", 3, "file descriptor to report readiness on")
	configFd := flags.Int("config-fd", -1, "file descriptor to read the UAPI configuration from, up to a blank line")
	logMax := flags.Int64("log-max", 1<<20, "bytes of <dir>/daemon.log before it moves to daemon.log.1")
	joinTimeout := flags.Duration("join-timeout", 4*time.Second, "how long to wait for another start of the same tunnel to finish")
	socketDir := flags.String("socket-dir", "", "directory of the UAPI socket <interface>.sock (default: -dir); deleting the socket ends the daemon")
	noLink := flags.Bool("no-link", false, "leave the link state, addresses and routes to the caller")
	awaitProcess := flags.Duration("await-process", 0, "without -watch-pid: wait this long for a first process in the namespace, then live as long as its processes (netavark's setup comes before the container's)")
	identityLock := flags.String("identity-lock", "", "a folder whose lock this daemon holds for life: refused if another daemon holds it (identity.go)")
	udpBroker := flags.String("udp-broker", "", "take the UDP sockets from the broker on this Unix socket, made in its network namespace (udpbroker.go)")
	reresolveInterval := flags.Duration("reresolve-interval", 2*time.Minute, "how often to re-resolve -reresolve hosts")
	configFlags := flags.Bool("config-flags", false, "the configuration's first line is a JSON array of -mtu, -address, -route, -state, -reresolve, -identity and -verbose")
	if err := flags.Parse(args); err != nil {
		return 2
	}

	clock := newPhases()
	// Key material lives in this process: no core dumps, no ptrace.
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0)

	ready := os.NewFile(uintptr(*readyFd), "ready")
	say := func(line string) { fmt.Fprintln(ready, line) }
	report := func(line string) {
		say(line)
		ready.Close()
	}
	// Until the folder is ours, nothing in it may be touched.
	refuse := func(format string, a ...any) int {
		report("error: " + fmt.Sprintf(format, a...))
		return 1
	}
	if *netnsPath == "" || *dir == "" {
		return refuse("-netns and -dir are required")
	}
	if *reresolveInterval <= 0 || *logMax <= 0 {
		return refuse("-reresolve-interval and -log-max must be positive")
	}

	// One daemon per namespace and interface. Another start that holds the
	// folder finishes (state.json appears: report "joined", the caller uses
	// that tunnel) or dies (its lock is free: this one takes over).
	lock, err := claim(*dir)
	for deadline := time.Now().Add(*joinTimeout); errors.Is(err, errBusy); lock, err = claim(*dir) {
		if servedBy(*dir) != 0 {
			return join(*dir, *configFd, *configFlags, &late, report)
		}
		if time.Now().After(deadline) {
			return refuse("another start of %s in this namespace did not finish within %v", *ifname, *joinTimeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return refuse("failed to take the tunnel folder %s: %v", *dir, err)
	}
	defer lock.Close()
	say(reportOwner)
	if err := emptyDir(*dir); err != nil {
		os.RemoveAll(*dir)
		return refuse("failed to clear what a dead daemon left in %s: %v", *dir, err)
	}
	log, err := openLog(filepath.Join(*dir, "daemon.log"), *logMax)
	if err != nil {
		os.RemoveAll(*dir)
		return refuse("failed to open the log: %v", err)
	}
	// -verbose may come late, on the flags line: the level is read at each line.
	var verboseOn atomic.Bool
	verboseOn.Store(late.verbose)
	logger := log.logger(device.LogLevelVerbose, *ifname)
	verbosef := logger.Verbosef
	logger.Verbosef = func(format string, a ...any) {
		if verboseOn.Load() {
			verbosef(format, a...)
		}
	}
	abort := func(err error) int {
		logger.Errorf("%v", err)
		report(reportOf(err))
		os.RemoveAll(*dir)
		return 1
	}
	fail := func(format string, a ...any) int { return abort(fmt.Errorf(format, a...)) }
	if *identityLock != "" {
		release, err := claimIdentity(*identityLock, *dir)
		if err != nil {
			return fail("%v", err)
		}
		defer release()
	}

	// Create the TUN inside the target network namespace, with its link up,
	// addresses and routes, from a thread in that namespace.
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
		tunFile, err = openTUN(*ifname)
		return err
	})
	if err != nil {
		return fail("%v", err)
	}
	tdev, err := tun.CreateTUNFromFileInNetns(tunFile, late.mtu, netnsSocket(ns))
	if err != nil {
		tunFile.Close()
		return fail("failed to set up TUN device: %v", err)
	}
	clock.mark("tun")

	// Listen on the UAPI socket before anything can be configured.
	if *socketDir == "" {
		*socketDir = *dir
	}
	ipc.SetSocketDirectory(*socketDir)
	fileUAPI, err := ipc.UAPIOpen(*ifname)
	if err != nil {
		tdev.Close()
		return fail("UAPI listen error: %v", err)
	}
	// Up before configuring: the TUN reports its link up at once and its
	// listener would bring the device up concurrently, and a ListenPort in
	// use would then be lost to a random port. Up first, listen_port is
	// bound by IpcSet, which fails if it cannot.
	if *udpBroker != "" {
		conn.ListenUDP = udpFromBroker(*udpBroker, logger.Errorf)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), logger)
	if err := dev.Up(); err != nil {
		dev.Close()
		return fail("failed to bring the device up: %v", err)
	}
	clock.mark("device")
	// Read late: the caller writes it while all of the above runs.
	tunMTU := late.mtu
	config, err := readConfig(*configFd, *configFlags, late.define)
	if err == nil && late.mtu != tunMTU {
		err = inNetns(ns, func() error { return setMTU(*ifname, late.mtu) })
	}
	if err != nil {
		dev.Close()
		return fail("failed to read the configuration: %v", err)
	}
	verboseOn.Store(late.verbose)
	clock.mark("config wait")
	identity := ""
	if late.identity != "" {
		if identity, err = identityOf(config, late.identity); err != nil {
			dev.Close()
			return abort(err)
		}
	}
	if err := dev.IpcSet(config); err != nil {
		dev.Close()
		return fail("%v", configError(err))
	}
	clock.mark("config")
	// The bind is open now, on its final port: did it get its buffers?
	// (Logged once ready: the log's first timestamp loads the time zone.)
	bufferNotice := udpBufferNotice()

	// Link up, addresses and routes, unless the caller does them.
	if !*noLink {
		err = inNetns(ns, func() error {
			if err := linkUp(*ifname); err != nil {
				return err
			}
			return configureLink(*ifname, late.addresses, late.routes)
		})
	}
	if err != nil {
		dev.Close()
		return fail("%v", err)
	}
	clock.mark("netns")
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
	// Ready for others to join: a start that raced with this one reads it.
	if late.state != "" {
		if err := writeState(*dir, []byte(late.state), map[string]string{"udpBufferNotice": bufferNotice, "configIdentity": identity}); err != nil {
			uapi.Close()
			dev.Close()
			return fail("failed to write the state: %v", err)
		}
	}

	clock.mark("uapi")
	// The caller logs where the time went: "ready tun 0.7 ms, device 0.5 ms, ...".
	report(reportReady(clock.String()))
	if bufferNotice != "" {
		log.notice(*ifname, bufferNotice)
	}
	// What killed daemons left (folders whose lock is free) goes now, once
	// the caller has its answer: so no poststop hook runs at every container
	// stop (it cost runc 13-17 ms each, measured; see the README).
	for _, left := range sweep(filepath.Dir(*dir)) {
		logger.Verbosef("wireguard4netns: removed %s, which a killed daemon left", left)
	}
	logger.Verbosef("wireguard4netns: %s ready in %s, watching pid %d", *ifname, *netnsPath, *watchPid)

	done := make(chan struct{})
	if len(late.reresolve) > 0 {
		go reresolve(dev, logger, late.reresolve, *reresolveInterval, done)
	}

	// Live as long as the namespace's processes, or until told to stop.
	emptied := make(chan struct{})
	if *watchPid > 0 || *awaitProcess > 0 {
		go func() {
			pid := *watchPid
			if pid == 0 {
				pid = awaitFirstProcess(ino, *awaitProcess)
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
	case <-errs:
		logger.Verbosef("wireguard4netns: UAPI socket gone")
	case <-dev.Wait():
	case <-emptied:
		logger.Verbosef("wireguard4netns: no process left in the namespace")
	}
	// No one may join from here on; the folder goes while the lock is held.
	os.Remove(filepath.Join(*dir, stateFile))
	close(done)
	uapi.Close()
	dev.Close()
	os.RemoveAll(*dir)
	return 0
}

// readConfig reads the UAPI configuration from fd up to EOF (at most 1 MiB).
// It must end with a blank line, as a UAPI request does: a caller killed
// while writing it leaves it cut short, and a part is never applied. With
// flagsLine, its first line is a JSON array of flags, parsed with define.
func readConfig(fd int, flagsLine bool, define func(*flag.FlagSet)) (string, error) {
	if fd < 0 {
		return "", nil
	}
	f := os.NewFile(uintptr(fd), "config")
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil && !strings.HasSuffix(string(b), "\n\n") {
		err = errors.New("it ended before its closing blank line")
	}
	if err != nil || !flagsLine {
		return strings.TrimSpace(string(b)), err
	}
	line, rest, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(rest), lateFlags(line, define)
}

// lateFlags parses line, a JSON array, as flags: only those define knows.
func lateFlags(line string, define func(*flag.FlagSet)) error {
	var args []string
	if err := json.Unmarshal([]byte(line), &args); err != nil {
		return fmt.Errorf("its flags line: expected a JSON array of strings: %v", err)
	}
	set := flag.NewFlagSet("flags line", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	define(set)
	if err := set.Parse(args); err != nil {
		return fmt.Errorf("its flags line: %v", err)
	}
	if set.NArg() > 0 {
		// Not quoted: the line carries the identity input, preshared keys included.
		return fmt.Errorf("its flags line: %d arguments that are no flags", set.NArg())
	}
	return nil
}

// join is a start that found the tunnel served: with an identity, it reads
// the configuration to tell whether the running tunnel has the same.
func join(dir string, configFd int, flagsLine bool, late *lateOptions, report func(string)) int {
	if late.identity == "" && !flagsLine {
		report(reportJoined(true))
		return 0
	}
	config, err := readConfig(configFd, flagsLine, late.define)
	if err != nil {
		report(reportOf(fmt.Errorf("failed to read the configuration: %w", err)))
		return 1
	}
	if late.identity == "" {
		report(reportJoined(true))
		return 0
	}
	id, err := identityOf(config, late.identity)
	if err != nil {
		report(reportOf(err))
		return 1
	}
	report(reportJoined(runningIdentity(dir) == id))
	return 0
}

// lateOptions are the flags that may come on the config's first line
// (-config-flags): what the caller learns from the config
// (src/tunnel/daemon.ts lateFlags; test/fixtures/contract/flags-line.json).
type lateOptions struct {
	mtu               int
	addresses, routes prefixFlag
	state             string
	reresolve         reresolveFlag
	identity          string
	verbose           bool
}

// define adds the late flags to set, their current values as defaults.
func (o *lateOptions) define(set *flag.FlagSet) {
	set.IntVar(&o.mtu, "mtu", o.mtu, "MTU of the TUN interface")
	set.Var(&o.addresses, "address", "CIDR: an address of the interface (repeatable)")
	set.Var(&o.routes, "route", "CIDR: a route through the interface (repeatable)")
	set.StringVar(&o.state, "state", o.state, "JSON object written to <dir>/state.json, with daemonPid added, once ready")
	set.Var(&o.reresolve, "reresolve", "PUBKEYHEX=HOST:PORT: re-resolve this peer's endpoint host (repeatable)")
	set.StringVar(&o.identity, "identity", o.identity, "the config's identity without its public key (canonical JSON): state.json's configIdentity is its digest with the public key")
	set.BoolVar(&o.verbose, "verbose", o.verbose, "log every packet-level event")
}

// The daemon's report lines, besides reportOf's "self-peer HEX" and
// "error: why" (src/tunnel/daemon.ts parseReport;
// test/fixtures/contract/reports.json).
const reportOwner = "owner"

// reportReady says the tunnel is up, and where its setup time went.
func reportReady(phases string) string { return "ready " + phases }

// reportJoined says another start serves the tunnel, with this config or another.
func reportJoined(sameConfig bool) string {
	if sameConfig {
		return "joined"
	}
	return "joined other"
}

// prefixFlag collects repeated CIDR flags.
type prefixFlag []netip.Prefix

func (p *prefixFlag) String() string { return fmt.Sprint(*p) }

func (p *prefixFlag) Set(s string) error {
	prefix, err := netip.ParsePrefix(s)
	if err != nil {
		return err
	}
	*p = append(*p, prefix)
	return nil
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

// configError says what went wrong applying the configuration, in words
// a user of the config file knows.
func configError(err error) error {
	var op *net.OpError
	if errors.Is(err, unix.EADDRINUSE) && errors.As(err, &op) {
		return fmt.Errorf("ListenPort is in use (%v)", op)
	}
	return fmt.Errorf("failed to apply the configuration: %w", err)
}
