/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the hook's replay of a start Node checked before. Most
 * container starts name a config that an earlier start of the same user
 * already read, checked and sent to a daemon. That start (Node,
 * hooks/replay.ts) leaves a replay entry: what it sent down the daemon's
 * config pipe, without the keys, and where in the file they are. When the
 * next start's inputs are the same, down to the config's bytes, its inode,
 * owner and mode, and this program's and the hook's own files, this
 * process sends the same to the daemon it started, registers the
 * container, writes its DNS and exits: no Node on the start's path.
 *
 * It decides nothing Node has not decided for these very inputs, and it
 * reports no error: whatever goes otherwise, it undoes what it did and
 * hands over to Node, which does the whole start and says what is wrong.
 * Rootless only: as real root the hook's config comes from an annotation
 * a user who is not root may set, and only Node opens that path, after
 * its checks.
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	replayEnv         = "WIREGUARD4NETNS_HOOK_REPLAY"
	replayFormat      = "wireguard4netns replay 1"
	waitAnnotation    = "wireguard4netns.wait"
	verboseAnnotation = "wireguard4netns.verbose"
	testStopEnv       = "WIREGUARD4NETNS_TEST_STOP_AT"
	// src/config/parse.ts MAX_CONFIG_BYTES
	maxConfigBytes = 64 * 1024
	// src/tunnel/daemon.ts: JOIN_TIMEOUT_MS + 1 s until "owner", READY_TIMEOUT_MS after
	ownerTimeout = 5 * time.Second
	readyTimeout = 3 * time.Second
)

// replayEntry is what Node left after a start (hooks/replay.ts saveReplay).
type replayEntry struct {
	Key    string   `json:"key"`
	Config string   `json:"config"`
	Flags  []string `json:"flags"`
	// state.json's fields but the start's own (netns, netnsInode, created)
	State map[string]any `json:"state"`
	UAPI  string         `json:"uapi"`
	// [offset, length] of each key's base64 in the config file: "{{secret N}}" in Flags and UAPI
	Secrets    [][2]int `json:"secrets"`
	ResolvConf string   `json:"resolvConf,omitempty"`
}

// replayCase is a start that may replay: its config file as read here,
// the key of its inputs, and the entry an earlier start left, if any.
type replayCase struct {
	path  string
	data  []byte
	stat  unix.Stat_t
	key   string
	entry string
	found *replayEntry
}

// replayFor returns the replay case of a createRuntime state of ours, or
// nil when this start is Node's alone: a config inside the container, a
// wait for a handshake, a test stop, a container id that cannot name a
// file, real root, or a file Node would refuse.
// programs are the hook's arguments to Node (its loader).
// base is the runtime base (runtimeBase, as the early daemon's folder has it).
func replayFor(s ociState, base string, programs []string, getenv func(string) string) *replayCase {
	path := s.Annotations[configAnnotation]
	if _, wait := s.Annotations[waitAnnotation]; wait || getenv(testStopEnv) != "" {
		return nil
	}
	uidMap, _ := os.ReadFile("/proc/self/uid_map")
	if !filepath.IsAbs(path) || filepath.Clean(path) != path || !containerID.MatchString(s.ID) || mapToParent(os.Geteuid(), string(uidMap)) == 0 {
		return nil
	}
	data, st, err := readConfigFile(path)
	if err != nil {
		return nil
	}
	c := &replayCase{path: path, data: data, stat: st, entry: replayEntryPath(base, path)}
	c.key = replayKey(c, string(uidMap), s.Annotations[verboseAnnotation], programs)
	c.found = loadReplay(c.entry, c.key)
	return c
}

// containerID is an id that names a file of containers/ (src/hooklog.ts takes the same).
var containerID = regexp.MustCompile(`^[\w.-]{1,128}$`)

// readConfigFile reads a regular file of at most maxConfigBytes, opened as
// src/config/read.ts opens it (no symlink, no blocking on a FIFO).
func readConfigFile(path string) ([]byte, unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, st, err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, st, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > maxConfigBytes {
		return nil, st, errors.New("not a regular file of a config's size")
	}
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err == nil && len(data) > maxConfigBytes {
		err = errors.New("too large")
	}
	return data, st, err
}

// replayEntryPath is where the entry for config path is: beside the
// runtime base, as the hook's code cache (hooks/loader.ts).
func replayEntryPath(base, path string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(base+"-hook.replay", hex.EncodeToString(sum[:16])+".json")
}

// replayKey is a digest of everything Node's checks of this start read:
// the config's path, bytes, inode, owner, mode and times, the owners it
// allows (our uid, our user namespace's map uidMap, the overflow uid), the
// verbose annotation, and this program's and the hook's files.
func replayKey(c *replayCase, uidMap, verbose string, programs []string) string {
	h := sha256.New()
	fmt.Fprintln(h, replayFormat)
	self, _ := os.Executable()
	files := []string{self}
	for _, p := range programs {
		files = append(files, p, p+".js") // the loader and the bundle it loads (hooks/loader.ts)
	}
	for _, p := range files {
		var st unix.Stat_t
		if unix.Stat(p, &st) != nil {
			fmt.Fprintf(h, "program %q absent\n", p)
			continue
		}
		fmt.Fprintf(h, "program %q %d %d %d %d.%d\n", p, st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec)
	}
	overflow, _ := os.ReadFile("/proc/sys/kernel/overflowuid")
	fmt.Fprintf(h, "euid %d\nuid_map %q\noverflowuid %q\nverbose %q\n", os.Geteuid(), uidMap, overflow, verbose)
	st := c.stat
	fmt.Fprintf(h, "config %q %d %d %d %o %d %d.%d %d.%d\n", c.path, st.Dev, st.Ino, st.Uid, st.Mode, st.Size,
		st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	sum := sha256.Sum256(c.data)
	fmt.Fprintf(h, "sha256 %x\n", sum)
	return hex.EncodeToString(h.Sum(nil))
}

// loadReplay returns the entry at path when it is ours (as hooks/loader.ts
// takes its cache: a regular file of ours in a folder nobody else may
// write) and made for key.
func loadReplay(path, key string) *replayEntry {
	var dir unix.Stat_t
	if unix.Stat(filepath.Dir(path), &dir) != nil || int(dir.Uid) != os.Geteuid() || dir.Mode&0o022 != 0 {
		return nil
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || int(st.Uid) != os.Geteuid() || st.Mode&0o022 != 0 {
		return nil
	}
	var e replayEntry
	if json.NewDecoder(io.LimitReader(f, 1<<20)).Decode(&e) != nil || e.Key != key {
		return nil
	}
	return &e
}

// filled returns the entry's flags and UAPI text with its keys, decoded
// from the config's bytes.
func (e *replayEntry) filled(data []byte) ([]string, string, error) {
	var pairs []string
	for i, s := range e.Secrets {
		off, n := s[0], s[1]
		if off < 0 || n <= 0 || off+n > len(data) {
			return nil, "", fmt.Errorf("secret %d: [%d, %d) is outside the config's %d bytes", i, off, off+n, len(data))
		}
		key, err := base64.StdEncoding.DecodeString(string(data[off : off+n]))
		if err != nil || len(key) != 32 {
			return nil, "", fmt.Errorf("secret %d: not a key's base64", i)
		}
		pairs = append(pairs, fmt.Sprintf("{{secret %d}}", i), hex.EncodeToString(key))
	}
	fill := strings.NewReplacer(pairs...)
	flags := make([]string, len(e.Flags))
	for i, f := range e.Flags {
		flags[i] = fill.Replace(f)
	}
	return flags, fill.Replace(e.UAPI), nil
}

// replay does the start the entry describes with the daemon d, the
// hook's own, or fails having undone what it did (the daemon killed and
// reaped, its folder swept, the container's entry removed).
func replay(d earlyDaemon, s ociState, c *replayCase, clock *phases) error {
	// Nonblocking, a File of it uses the poller: its reads have deadlines.
	unix.SetNonblock(d.reports, true)
	reports := os.NewFile(uintptr(d.reports), "reports")
	defer reports.Close()
	config := os.NewFile(uintptr(d.config), "config")
	defer config.Close()
	owner, err := replaySend(d, s, c, config, reports, clock)
	if err != nil && owner {
		unix.Kill(d.pid, unix.SIGKILL)
		unix.Wait4(d.pid, nil, 0, nil)
		sweep(filepath.Dir(d.dir))
	}
	return err
}

// replaySend sends the config and finishes the start as src/tunnel/up.ts
// does; owner says whether the daemon was to serve the tunnel (and so
// must end if this fails).
func replaySend(d earlyDaemon, s ociState, c *replayCase, config, reports *os.File, clock *phases) (owner bool, err error) {
	flags, uapi, err := c.found.filled(c.data)
	if err != nil {
		return true, err
	}
	var ino unix.Stat_t
	netns := fmt.Sprintf("/proc/%d/ns/net", s.Pid)
	if err := unix.Stat(netns, &ino); err != nil {
		return true, err
	}
	state := c.found.State
	if state == nil {
		state = map[string]any{}
	}
	state["netns"], state["netnsInode"], state["created"] = netns, ino.Ino, time.Now().Unix()
	stateJSON, _ := json.Marshal(state)
	line, _ := json.Marshal(append(flags, "-state", string(stateJSON)))
	clock.mark("before the config")
	config.Write([]byte(string(line) + "\n" + uapi + "\n"))
	config.Close()

	report, err := awaitReport(reports)
	if err != nil {
		return true, err
	}
	resolvConf := resolvConfPath(s.Bundle)
	if phases, ok := strings.CutPrefix(report, "ready "); ok {
		clock.mark("daemon")
		undo, err := finishStart(d.dir, s, resolvConf, c.found.ResolvConf)
		if err != nil {
			// Another container that joined meanwhile keeps the tunnel (as up.ts's undo does).
			if undo(); len(containerEntries(d.dir)) > 0 {
				return false, err
			}
			return true, err
		}
		appendLine(filepath.Join(d.dir, "daemon.log"), fmt.Sprintf("wireguard4netns: %s up for container %s from %s, replaying a start checked before (%s, of which in wireguard-go: %s)",
			hookInterface, s.ID, c.found.Config, clock, phases))
		return true, nil
	}
	if report != "joined" {
		return false, fmt.Errorf("the daemon reported %q", report)
	}
	// A pod's next container: the running daemon has the same config (it compared the identities).
	var running struct {
		DaemonPid int `json:"daemonPid"`
	}
	text, err := os.ReadFile(filepath.Join(d.dir, "state.json"))
	if err == nil {
		err = json.Unmarshal(text, &running)
	}
	if err != nil || !isDaemon(running.DaemonPid) {
		return false, errors.New("the tunnel joined has ended")
	}
	undo, err := finishStart(d.dir, s, resolvConf, c.found.ResolvConf)
	if err != nil {
		undo()
		return false, err
	}
	appendLine(filepath.Join(d.dir, "daemon.log"), fmt.Sprintf("wireguard4netns: %s: container %s joined", hookInterface, s.ID))
	return false, nil
}

// awaitReport returns the daemon's report that ends its setup, bounded as
// src/tunnel/daemon.ts bounds it.
func awaitReport(f *os.File) (string, error) {
	lines := bufio.NewReader(f)
	f.SetReadDeadline(time.Now().Add(ownerTimeout))
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("the daemon's reports: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line != "owner" {
			return line, nil
		}
		f.SetReadDeadline(time.Now().Add(readyTimeout))
	}
}

// finishStart registers the container with the tunnel in dir and writes
// its DNS, as src/tunnel/up.ts does; undo removes the registration.
func finishStart(dir string, s ociState, resolvConf, dns string) (undo func(), err error) {
	entry := filepath.Join(dir, "containers", s.ID+".json")
	undo = func() { os.Remove(entry) }
	if err := os.Mkdir(filepath.Dir(entry), 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return undo, err
	}
	text, _ := json.Marshal(struct {
		ID         string `json:"id"`
		Pid        int    `json:"pid"`
		Start      uint64 `json:"start"`
		ResolvConf string `json:"resolvConf,omitempty"`
	}{s.ID, s.Pid, processStart(s.Pid), resolvConf})
	if err := os.WriteFile(entry, text, 0o600); err != nil {
		return undo, err
	}
	if dns != "" && resolvConf != "" {
		return undo, writeResolvConf(resolvConf, dns)
	}
	return undo, nil
}

// containerEntries are the names in dir's containers/ (src/tunnel/state.ts).
func containerEntries(dir string) []string {
	entries, _ := os.ReadDir(filepath.Join(dir, "containers"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// processStart is field 22 of /proc/PID/stat (src/tunnel/state.ts processStart), 0 when pid is gone.
func processStart(pid int) uint64 {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	text := string(stat)
	fields := strings.Fields(text[strings.LastIndex(text, ")")+1:])
	if len(fields) < 20 {
		return 0
	}
	start, _ := strconv.ParseUint(fields[19], 10, 64)
	return start
}

// resolvConfPath is the host path of the container's /etc/resolv.conf,
// from the bundle's config.json (src/tunnel/resolvconf.ts resolvConfPath).
func resolvConfPath(bundle string) string {
	if bundle == "" {
		return ""
	}
	var spec struct {
		Root *struct {
			Path string `json:"path"`
		} `json:"root"`
		Mounts []struct {
			Destination string `json:"destination"`
			Source      string `json:"source"`
		} `json:"mounts"`
	}
	text, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil || json.Unmarshal(text, &spec) != nil {
		return ""
	}
	for _, m := range spec.Mounts {
		if m.Destination == "/etc/resolv.conf" {
			if m.Source != "" {
				return m.Source
			}
			break
		}
	}
	if spec.Root == nil || spec.Root.Path == "" {
		return ""
	}
	root := spec.Root.Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(bundle, root)
	}
	return filepath.Join(root, "etc/resolv.conf")
}

// writeResolvConf writes text to path, neither it nor its folder a
// symlink (src/tunnel/resolvconf.ts writeResolvConf).
func writeResolvConf(path, text string) error {
	var st unix.Stat_t
	if err := unix.Lstat(filepath.Dir(path), &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("%s: its folder is not a directory", path)
	}
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), path)
	_, err = f.WriteString(text)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// appendLine adds a line of ours, with the time, to a log: the tunnel's
// (src/tunnel/daemon.ts appendLog) or the hook's (hookLogLine). Best
// effort: the log is not what matters.
func appendLine(path, line string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%s %s\n", time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), line)
	f.Close()
}

// replayRequest asks Node to leave an entry for this start: the key, the
// entry's path, a memfd holding the config's bytes as read here (Node
// leaves one only when it read the same) and the file's device, inode,
// owner and mode as seen here (hooks/replay.ts replayRequest).
func replayRequest(c *replayCase) (string, error) {
	fd, err := unix.MemfdCreate("config", 0)
	if err != nil {
		return "", err
	}
	if _, err := unix.Write(fd, c.data); err != nil {
		unix.Close(fd)
		return "", err
	}
	if _, err := unix.Seek(fd, 0, io.SeekStart); err != nil {
		unix.Close(fd)
		return "", err
	}
	return fmt.Sprintf("%s=%s %s %d %d %d %d %d", replayEnv, c.key, c.entry, fd, c.stat.Dev, c.stat.Ino, c.stat.Uid, c.stat.Mode&0o7777), nil
}

// hookLogLine appends a line to the hook's own log, beside the runtime
// base (src/hooklog.ts logHookError, which moves it aside past 1 MiB too).
func hookLogLine(base, id, line string) {
	path := strings.TrimRight(base, "/") + ".log"
	if st, err := os.Stat(path); err == nil && st.Size() > 1<<20 {
		os.Rename(path, path+".1")
	}
	appendLine(path, fmt.Sprintf("container %s: wireguard4netns: %s", id, line))
}
