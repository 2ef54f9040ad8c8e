/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the hook's first process, a launcher. The hook JSON runs
 * `wireguard-go wireguard4netns-hook NODE HOOK` with the OCI state on
 * stdin. The daemon needs neither the config nor Node to begin, so this
 * process reads the state, starts the daemon for the container's namespace
 * at once (it takes the tunnel folder, makes the TUN and the device, then
 * waits for the config), and runs Node, which reads and checks the config
 * meanwhile and sends it down the daemon's pipe (src/tunnel/daemon.ts
 * earlyDaemon). Node, its child, holds:
 *   - fd 0: the OCI state, as read here (a memfd);
 *   - fds 1 and 2: pipes to this process, which passes their output on;
 *   - fd 3: the verdict pipe (WIREGUARD4NETNS_HOOK_VERDICT), where Node
 *     writes its exit code as it exits (hooks/verdict.ts): this process
 *     ends with it at once, and Node's own exit is off the start's path;
 *   - fds 4 and 5: the daemon's reports (report.go) and its config pipe,
 *     which WIREGUARD4NETNS_HOOK_DAEMON (hookDaemonLine) names; absent
 *     when no daemon was started here.
 * Node dies with this process (a parent-death signal): a hook that the
 * runtime kills leaves no Node behind.
 * It decides nothing: whether, how and with what the container starts is
 * Node's (hooks/), which ends a daemon it does not use, and reports every
 * error, so that the hook has one error boundary. What it must know (the
 * annotation that asks for a tunnel, the createRuntime statuses, where the
 * tunnel folder is) is pinned with Node's by test/fixtures/contract.
 * Core dumps stay off for Node, which reads the keys.
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The facts this process shares with Node, each pinned with Node's by a
// fixture of test/fixtures/contract: hook-daemon-env.json for the first,
// launcher.json for the annotation and the interface.
const (
	hookDaemonEnv    = "WIREGUARD4NETNS_HOOK_DAEMON"
	hookVerdictEnv   = "WIREGUARD4NETNS_HOOK_VERDICT"
	configAnnotation = "wireguard4netns.conf"
	hookInterface    = "wg0"
	maxOCIState      = 1 << 20
)

// ociState is what this process reads of the OCI state.
type ociState struct {
	Status      string            `json:"status"`
	Pid         int               `json:"pid"`
	Annotations map[string]string `json:"annotations"`
}

// earlyTarget returns the container's pid when state is a createRuntime
// state (runc says "creating", crun "created") of a container that asked
// for a tunnel; 0 otherwise. Node takes such a state to createRuntime
// (src/oci.ts hookStage; launcher.json): this only starts its daemon early.
func earlyTarget(s ociState) int {
	if s.Annotations[configAnnotation] == "" || s.Pid <= 0 {
		return 0
	}
	if s.Status != "creating" && s.Status != "created" {
		return 0
	}
	return s.Pid
}

// daemonArgs is the daemon's command line for the container's namespace:
// what does not come from the config (that follows on the flags line).
// Its argv[0] is the binary's path, as when src/tunnel/daemon.ts spawns it.
func daemonArgs(self, netns string, pid int, dir string, getenv func(string) string) []string {
	args := []string{self, "wireguard4netns", "-netns", netns, "-interface", hookInterface, "-dir", dir,
		"-watch-pid", strconv.Itoa(pid), "-config-fd", "0", "-config-flags"}
	// The daemon gets no environment: what tests override is an argument (as src/tunnel/daemon.ts does).
	if v := getenv("WIREGUARD4NETNS_LOG_MAX"); v != "" {
		args = append(args, "-log-max", v)
	}
	if v := getenv("WIREGUARD4NETNS_RERESOLVE_INTERVAL"); v != "" {
		args = append(args, "-reresolve-interval", v)
	}
	return args
}

func hookMain(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: wireguard-go wireguard4netns-hook NODE [ARGS...] (the OCI state on stdin)")
		return 2
	}
	// Inherited by Node, which reads the keys.
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	// Neither Node nor the daemon (which outlives the hook) gets what the
	// runtime left open to us: a runtime's pipe held by the daemon could
	// hold the container's start, or its end. Node gets only the
	// descriptors runNode places, fd 0 among them.
	cloexecFrom(3)
	node, err := exec.LookPath(args[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "wireguard4netns: cannot run %s: %v\n", args[0], err)
		return 1
	}
	state, _ := io.ReadAll(io.LimitReader(os.Stdin, maxOCIState))
	env := os.Environ()
	if err := stdinFrom(state); err != nil {
		fmt.Fprintf(os.Stderr, "wireguard4netns: passing the OCI state on: %v\n", err)
		return 1
	}
	var s ociState
	json.Unmarshal(state, &s)
	var handed []int
	if d, ok := startEarlyDaemon(earlyTarget(s)); ok {
		handed = []int{d.reports, d.config}
		env = append(env, hookDaemonLine(earlyDaemon{pid: d.pid, dir: d.dir, reports: nodeHandedFd, config: nodeHandedFd + 1}))
	}
	code, err := runNode(node, args, env, handed)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wireguard4netns: cannot run %s: %v\n", node, err)
		return 1
	}
	return code
}

// Node's descriptors: 0 is this process's (the state), 1 and 2 are pipes
// relayed here, then the verdict pipe, then what hookMain hands over.
const (
	nodeVerdictFd = 3
	nodeHandedFd  = 4
)

// runNode runs Node as this process's child, and returns the exit code
// Node writes on the verdict pipe (nodeVerdictFd) as it exits: the runtime then
// has its answer without waiting for Node's own exit, which takes some
// milliseconds (its threads joined, its heap unmapped) and ends beside the
// container's start. The runtime waits for the hook's stdout and stderr to
// reach their end too, so Node gets pipes of its own, relayed here. The
// handed descriptors become Node's from nodeHandedFd on, and are closed here
// once Node has them, so that a pipe's end that Node closes is closed. A
// Node that ends without a verdict ends this process with its own status.
func runNode(node string, args, env []string, handed []int) (int, error) {
	var verdict, out, errs [2]int
	for _, p := range []*[2]int{&verdict, &out, &errs} {
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			return 0, err
		}
	}
	files := []uintptr{0, uintptr(out[1]), uintptr(errs[1]), uintptr(verdict[1])} // nodeVerdictFd
	for _, fd := range handed {
		files = append(files, uintptr(fd))
	}
	env = append(env, fmt.Sprintf("%s=%d", hookVerdictEnv, nodeVerdictFd))
	// Node goes when this process goes: a runtime that kills the hook (its
	// timeout) takes Node with it. After the verdict, which Node writes from
	// its last exit listener, only its teardown is left, for the kernel to
	// do. The signal comes when the forking thread ends: that thread is kept.
	runtime.LockOSThread()
	pid, err := syscall.ForkExec(node, args, &syscall.ProcAttr{Env: env, Files: files, Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}})
	for _, fd := range append([]int{out[1], errs[1], verdict[1]}, handed...) {
		unix.Close(fd)
	}
	if err != nil {
		return 0, err
	}
	unix.SetNonblock(out[0], true)
	unix.SetNonblock(errs[0], true)
	relays := []relay{{out[0], 1}, {errs[0], 2}}
	fds := []unix.PollFd{{Fd: int32(verdict[0]), Events: unix.POLLIN}, {Fd: int32(out[0]), Events: unix.POLLIN}, {Fd: int32(errs[0]), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err == unix.EINTR {
			continue // the events are not this call's
		} else if err != nil {
			break
		}
		for i := range relays {
			if fds[i+1].Revents != 0 && !relays[i].pass() {
				fds[i+1].Fd = -1
			}
		}
		if fds[0].Revents != 0 {
			var b [1]byte
			if n, _ := unix.Read(verdict[0], b[:]); n == 1 {
				// Node wrote its output before its verdict: all of it is in the pipes.
				for _, r := range relays {
					r.drain()
				}
				return int(b[0]), nil
			}
			break // no verdict: Node ended without one
		}
	}
	for _, r := range relays {
		unix.SetNonblock(r.from, false)
		r.drain()
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(pid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	if ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return ws.ExitStatus(), nil
}

// relay copies what a pipe from Node holds to one of this process's
// descriptors.
type relay struct{ from, to int }

// pass copies what can be read now; false once the pipe is at its end or
// broken (or, non-blocking, empty).
func (r relay) pass() bool {
	var buf [4096]byte
	n, err := unix.Read(r.from, buf[:])
	if n <= 0 || err != nil {
		return false
	}
	for b := buf[:n]; len(b) > 0; {
		w, err := unix.Write(r.to, b)
		if err != nil {
			return true
		}
		b = b[w:]
	}
	return true
}

// drain copies until pass finds nothing more.
func (r relay) drain() {
	for r.pass() {
	}
}

// hookDaemonLine names the daemon started here for Node: a JSON object,
// so that the folder may be any path (src/tunnel/daemon.ts earlyDaemon).
func hookDaemonLine(d earlyDaemon) string {
	line, _ := json.Marshal(struct {
		Pid      int    `json:"pid"`
		Dir      string `json:"dir"`
		ReportFd int    `json:"reportFd"`
		ConfigFd int    `json:"configFd"`
	}{d.pid, d.dir, d.reports, d.config})
	return hookDaemonEnv + "=" + string(line)
}

// cloexecFrom makes every descriptor from first up close-on-exec.
func cloexecFrom(first int) {
	if unix.CloseRange(uint(first), ^uint(0), unix.CLOSE_RANGE_CLOEXEC) == nil {
		return
	}
	entries, _ := os.ReadDir("/proc/self/fd") // before Linux 5.11
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd >= first {
			unix.FcntlInt(uintptr(fd), unix.F_SETFD, unix.FD_CLOEXEC)
		}
	}
}

// stdinFrom makes fd 0 a memfd holding state, for the process exec'd next.
// The memfd itself is close-on-exec: dup2 makes fd 0 a copy that is not.
func stdinFrom(state []byte) error {
	fd, err := unix.MemfdCreate("oci-state", unix.MFD_CLOEXEC)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, err := unix.Write(fd, state); err != nil {
		return err
	}
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		return err
	}
	return unix.Dup2(fd, 0)
}

// earlyDaemon is a daemon started here: Node's ends of its two pipes.
type earlyDaemon struct {
	pid             int
	dir             string
	reports, config int
}

// startEarlyDaemon starts the daemon for the state's container, and
// returns the read end of its reports and the write end of its config pipe
// (close-on-exec: runNode gives them to Node as its fds 4 and 5). Whatever
// fails here, Node does again and reports.
func startEarlyDaemon(containerPid int) (earlyDaemon, bool) {
	netns := fmt.Sprintf("/proc/%d/ns/net", containerPid)
	var st unix.Stat_t
	if containerPid == 0 || unix.Stat(netns, &st) != nil {
		return earlyDaemon{}, false
	}
	d := earlyDaemon{dir: tunnelDir(runtimeBase(), st.Ino, hookInterface)}
	self, err := os.Executable()
	if err != nil {
		return d, false
	}
	null, err := unix.Open(os.DevNull, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return d, false
	}
	defer unix.Close(null)
	var config, reports [2]int
	if unix.Pipe2(config[:], unix.O_CLOEXEC) != nil {
		return d, false
	}
	if unix.Pipe2(reports[:], unix.O_CLOEXEC) != nil {
		unix.Close(config[0])
		unix.Close(config[1])
		return d, false
	}
	d.pid, err = syscall.ForkExec(self, daemonArgs(self, netns, containerPid, d.dir, os.Getenv), &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{uintptr(config[0]), uintptr(null), uintptr(null), uintptr(reports[1])},
		Sys:   &syscall.SysProcAttr{Setsid: true},
	})
	unix.Close(config[0])
	unix.Close(reports[1])
	if err != nil {
		if d.pid > 0 {
			unix.Kill(d.pid, unix.SIGKILL)
		}
		unix.Close(config[1])
		unix.Close(reports[0])
		return d, false
	}
	d.reports, d.config = reports[0], config[1]
	return d, true
}
