/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the hook's first process, a launcher. The hook JSON runs
 * `wireguard-go wireguard4netns-hook NODE HOOK` with the OCI state on
 * stdin. The daemon needs neither the config nor Node to begin, so this
 * process reads the state, starts the daemon for the container's namespace
 * at once (it takes the tunnel folder, makes the TUN and the device, then
 * waits for the config), and execs Node, which reads and checks the config
 * meanwhile and sends it down the daemon's pipe (src/tunnel/daemon.ts
 * earlyDaemon). Node holds:
 *   - fd 0: the OCI state, as read here (a memfd);
 *   - the daemon's reports (report.go) and its config pipe, with
 *     WIREGUARD4NETNS_HOOK_DAEMON (hookDaemonLine) saying where; absent
 *     when no daemon was started here.
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
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// The facts this process shares with Node, each pinned with Node's by a
// fixture of test/fixtures/contract: hook-daemon-env.json for the first,
// launcher.json for the annotation and the interface.
const (
	hookDaemonEnv    = "WIREGUARD4NETNS_HOOK_DAEMON"
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
	// Inherited across the exec: Node reads the keys.
	unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{})
	// Neither Node nor the daemon (which outlives the hook) gets what the
	// runtime left open to us: a runtime's pipe held by the daemon could
	// hold the container's start, or its end. Node's two fds are made
	// inheritable again one by one (startEarlyDaemon), and fd 0 by dup2.
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
	if d, ok := startEarlyDaemon(earlyTarget(s)); ok {
		env = append(env, hookDaemonLine(d))
	}
	err = unix.Exec(node, args, env)
	fmt.Fprintf(os.Stderr, "wireguard4netns: cannot run %s: %v\n", node, err)
	return 1
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

// startEarlyDaemon starts the daemon for the state's container. Node gets
// the read end of its reports and the write end of its config pipe, open
// across its exec (where they are is not fixed: the Go runtime's own
// descriptors may hold the low numbers). Whatever fails here, Node does
// again and reports.
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
	if err == nil {
		_, err = unix.FcntlInt(uintptr(reports[0]), unix.F_SETFD, 0)
	}
	if err == nil {
		_, err = unix.FcntlInt(uintptr(config[1]), unix.F_SETFD, 0)
	}
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
