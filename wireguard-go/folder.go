/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the tunnel folder and its lock. One folder per network
 * namespace and interface holds the UAPI socket, state.json, the log and
 * the containers using the tunnel. The daemon that owns the tunnel holds
 * an exclusive flock on the folder for as long as it lives; the kernel
 * drops it when the daemon dies, however it dies. So at most one daemon
 * serves a namespace and interface, and a folder whose lock is free is
 * provably abandoned. Copied into the patched wireguard-go tree at build
 * time.
 */

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const stateFile = "state.json"

// errBusy: another live process holds the folder's lock.
var errBusy = errors.New("held by another process")

// claim makes dir (and its parent, 0700, which must be ours) and takes its
// lock. It returns errBusy while another process holds it.
func claim(dir string) (*os.File, error) {
	if err := ensurePrivateDir(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	for {
		if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		f, err := lockDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed by its previous owner meanwhile: make it anew
		}
		return f, err
	}
}

// claimFolder takes the tunnel folder dir for this daemon, emptied of what
// a dead one left. One daemon per namespace and interface: while another
// start holds it, it waits up to timeout for that one to finish (served:
// state.json appears, the caller joins that tunnel) or die (its lock is
// free: this one takes over).
func claimFolder(dir, ifname string, timeout time.Duration) (lock *os.File, served bool, err error) {
	lock, err = claim(dir)
	for deadline := time.Now().Add(timeout); errors.Is(err, errBusy); lock, err = claim(dir) {
		if servedBy(dir) != 0 {
			return nil, true, nil
		}
		if time.Now().After(deadline) {
			return nil, false, fmt.Errorf("another start of %s in this namespace did not finish within %v", ifname, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return nil, false, fmt.Errorf("failed to take the tunnel folder %s: %v", dir, err)
	}
	if err := emptyDir(dir); err != nil {
		os.RemoveAll(dir)
		lock.Close()
		return nil, false, fmt.Errorf("failed to clear what a dead daemon left in %s: %v", dir, err)
	}
	return lock, false, nil
}

// lockDir takes the lock of an existing folder, without waiting. The folder
// still being at its path once locked is checked: a previous owner removes
// it while holding the lock, so an open that raced with that sees another
// folder (fs.ErrNotExist then).
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(dir, os.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, err
	}
	var held, now unix.Stat_t
	if unix.Fstat(int(f.Fd()), &held) != nil || unix.Lstat(dir, &now) != nil || held.Dev != now.Dev || held.Ino != now.Ino {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}

// ensurePrivateDir makes base (mode 0700) if needed and refuses one that is
// not a real folder of ours that nobody else may write: it can be in a
// shared tmp.
func ensurePrivateDir(base string) error {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Lstat(base, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return fmt.Errorf("%s: expected a folder of uid %d that only it may write", base, os.Geteuid())
	}
	return nil
}

// emptyDir removes what a dead owner left in dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

// writeState writes dir/state.json: the caller's JSON object with our pid
// added, and each non-empty string of added (the UDP buffer notice, the
// config's identity), atomically, so that a reader sees all of it or
// nothing.
func writeState(dir string, state []byte, added map[string]string) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(state, &fields); err != nil || fields == nil {
		return fmt.Errorf("-state: expected a JSON object: %v", err)
	}
	fields["daemonPid"] = json.RawMessage(strconv.Itoa(os.Getpid()))
	for key, value := range added {
		if value != "" {
			fields[key], _ = json.Marshal(value)
		}
	}
	data, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+stateFile+".tmp")
	if err := os.WriteFile(tmp, append(data, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, stateFile))
}

// servedBy returns the pid of the live daemon whose state.json is in dir, or 0.
func servedBy(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return 0
	}
	var state struct {
		DaemonPid int `json:"daemonPid"`
	}
	if json.Unmarshal(data, &state) != nil || !isDaemon(state.DaemonPid) {
		return 0
	}
	return state.DaemonPid
}

// isDaemon tells whether pid is a live wireguard4netns daemon.
func isDaemon(pid int) bool {
	if pid <= 0 {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return err == nil && isDaemonProc(string(stat), string(cmdline))
}

// isDaemonProc tells from a process's /proc/PID/stat and cmdline whether
// it is a live daemon: not a zombie, run as `... wireguard4netns ...`
// (src/tunnel/daemon.ts isDaemonProc; test/fixtures/contract/daemon-pid.json).
func isDaemonProc(stat, cmdline string) bool {
	return !strings.Contains(stat, ") Z ") && strings.Contains(cmdline, "\x00wireguard4netns\x00")
}

// isTunnelName tells a tunnel folder's name (the namespace's inode, "-",
// the interface) or an identity lock's (identity.go: "identity-" and hex).
// No regexp: its compiling and its package's start would be in every start
// of this binary, the hook's first process included.
func isTunnelName(name string) bool {
	if hex, ok := strings.CutPrefix(name, "identity-"); ok {
		return hex != "" && strings.Trim(hex, "0123456789abcdef") == ""
	}
	inode, iface, ok := strings.Cut(name, "-")
	return ok && inode != "" && strings.Trim(inode, "0123456789") == "" && iface != "" && !strings.Contains(iface, "/")
}

// sweep removes the tunnel folders under base that no daemon holds, and
// returns them. A folder being set up or served is locked, so it is never
// touched.
func sweep(base string) []string {
	entries, err := os.ReadDir(base)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range entries {
		if !e.IsDir() || !isTunnelName(e.Name()) {
			continue
		}
		dir := filepath.Join(base, e.Name())
		f, err := lockDir(dir)
		if err != nil {
			continue
		}
		if os.RemoveAll(dir) == nil {
			removed = append(removed, dir)
		}
		f.Close()
	}
	return removed
}

// runtimeBase is where this user's tunnel folders are: the same rule as
// src/paths.ts, since an OCI hook's environment says nothing reliable.
func runtimeBase() string {
	uid := os.Geteuid()
	if text, err := os.ReadFile("/proc/self/uid_map"); err == nil {
		uid = mapToParent(uid, string(text))
	}
	return runtimeBaseOf(os.Getenv(runtimeDirEnv), uid, func(dir string) bool {
		st, err := os.Stat(dir)
		return err == nil && st.IsDir()
	}, func() string {
		passwd, _ := os.ReadFile("/etc/passwd")
		return string(passwd)
	})
}

const runtimeDirEnv = "WIREGUARD4NETNS_RUNTIME_DIR"

// runtimeBaseOf is the runtime base of host uid, given the environment's
// override, whether a folder exists and /etc/passwd's text. Never a shared
// tmp: /run/wireguard4netns for root, else /run/user/UID/wireguard4netns
// when that folder exists, else HOME/.local/state/wireguard4netns
// (src/paths.ts runtimeBaseOf; test/fixtures/contract/runtime-base.json).
func runtimeBaseOf(override string, uid int, isDir func(string) bool, passwd func() string) string {
	if override != "" {
		return override
	}
	if uid == 0 {
		return "/run/wireguard4netns"
	}
	run := fmt.Sprintf("/run/user/%d", uid)
	if isDir(run) {
		return filepath.Join(run, "wireguard4netns")
	}
	home := homeOf(uid, passwd())
	if home == "" {
		home = fmt.Sprintf("/nonexistent-home-of-uid-%d", uid)
	}
	return filepath.Join(home, ".local/state/wireguard4netns")
}

// tunnelDir is the folder of the tunnel of a namespace's interface
// (src/paths.ts tunnelDir).
func tunnelDir(base string, netnsInode uint64, iface string) string {
	return filepath.Join(base, fmt.Sprintf("%d-%s", netnsInode, iface))
}

// homeOf is uid's home folder in an /etc/passwd text, "" when it has none.
func homeOf(uid int, passwd string) string {
	for _, line := range strings.Split(passwd, "\n") {
		f := strings.Split(line, ":")
		if len(f) >= 6 && f[2] == strconv.Itoa(uid) && strings.HasPrefix(f[5], "/") {
			return f[5]
		}
	}
	return ""
}

// mapToParent maps id through a /proc/PID/uid_map text to the parent namespace.
func mapToParent(id int, mapText string) int {
	for _, line := range strings.Split(strings.TrimSpace(mapText), "\n") {
		var inside, outside, count int
		if n, _ := fmt.Sscan(line, &inside, &outside, &count); n == 3 && id >= inside && id < inside+count {
			return outside + (id - inside)
		}
	}
	return id
}

// sweepMain is `wireguard-go wireguard4netns-sweep`: what a failed start
// and "wireguard4netns prune" run, and a pods install's poststop hook
// (each daemon sweeps the same way once it is ready). It
// removes what killed daemons left, with one process start of a few
// milliseconds, and prints each folder it removed.
func sweepMain(args []string) int {
	base := runtimeBase()
	if len(args) == 2 && args[0] == "-base" {
		base = args[1]
	} else if len(args) != 0 {
		fmt.Fprintln(os.Stderr, "usage: wireguard-go wireguard4netns-sweep [-base DIR]")
		return 2
	}
	// A runtime writes the OCI state to a hook's stdin: take it, so that the
	// write never fails because we did not.
	io.Copy(io.Discard, io.LimitReader(os.Stdin, 1<<20))
	for _, dir := range sweep(base) {
		fmt.Println(dir)
	}
	return 0
}
