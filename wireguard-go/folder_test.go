/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of folder.go. Copied into the patched wireguard-go
 * tree at build time, as folder.go is.
 */

package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func inode(t *testing.T, f *os.File) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// A folder another process holds is busy for claim; once that process
// ends, claim takes the same folder.
func TestClaimBusyUntilHolderEnds(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "1-wg0")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	holder := startChild(t, dir)
	if f, err := claim(dir); !errors.Is(err, errBusy) {
		t.Fatalf("claim of a held folder: %v, %v; want errBusy", f, err)
	}
	if f, err := lockDir(dir); !errors.Is(err, errBusy) {
		t.Fatalf("lockDir of a held folder: %v, %v; want errBusy", f, err)
	}
	var st unix.Stat_t
	unix.Lstat(dir, &st)
	holder.stop(t)
	f, err := claim(dir)
	if err != nil {
		t.Fatalf("claim after the holder ended: %v", err)
	}
	defer f.Close()
	if inode(t, f) != st.Ino {
		t.Errorf("claim made another folder")
	}
}

// claim makes the folder and its parent (0700), and refuses a parent that
// others may write.
func TestClaimMakesFolders(t *testing.T) {
	base := t.TempDir()
	f, err := claim(filepath.Join(base, "run", "1-wg0"))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, err := os.Stat(filepath.Join(base, "run")); err != nil || st.Mode() != fs.ModeDir|0o700 {
		t.Errorf("parent: %v, %v", st.Mode(), err)
	}
	os.Chmod(filepath.Join(base, "run"), 0o777)
	if _, err := claim(filepath.Join(base, "run", "2-wg0")); err == nil || exists(filepath.Join(base, "run", "2-wg0")) {
		t.Errorf("claim under a world-writable parent: %v", err)
	}
}

// lockDir never returns the lock of a folder that is no longer at its path:
// here another goroutine keeps making the folder, locking it and removing
// it while locked, as a daemon does on its way out, while lockDir races
// with it. Without the inode check, lockDir gets the lock of a removed one.
func TestLockDirRemadeUnderneath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "1-wg0")
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			os.Mkdir(dir, 0o700)
			f, err := os.Open(dir)
			if err != nil {
				continue
			}
			if unix.Flock(int(f.Fd()), unix.LOCK_EX) == nil {
				os.Remove(dir)
			}
			f.Close()
		}
	}()
	var locked, stale int
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); {
		f, err := lockDir(dir)
		if err != nil {
			continue
		}
		locked++
		var now unix.Stat_t
		if unix.Lstat(dir, &now) != nil || now.Ino != inode(t, f) {
			stale++
		}
		f.Close()
	}
	stop.Store(true)
	<-done
	if stale > 0 {
		t.Errorf("%d of %d locks were of a removed folder", stale, locked)
	}
	if locked == 0 {
		t.Errorf("never got the lock: the race did not happen")
	}
}

// lockDir and so sweep refuse a symlink, even to a tunnel folder.
func TestLockDirRefusesSymlink(t *testing.T) {
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "real"), 0o700)
	os.Symlink("real", filepath.Join(base, "1-wg0"))
	if f, err := lockDir(filepath.Join(base, "1-wg0")); err == nil {
		f.Close()
		t.Error("locked through a symlink")
	}
}

// sweep removes the unlocked tunnel folders, never a locked one nor
// anything that is not a tunnel folder; a killed holder's folder goes next.
func TestSweep(t *testing.T) {
	base := t.TempDir()
	for _, d := range []string{"1-wg0", "2-wg0", "3-wg1", "notes", "4-wg0/sub"} {
		os.MkdirAll(filepath.Join(base, d), 0o700)
	}
	os.WriteFile(filepath.Join(base, "2-wg0", "daemon.log"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(base, "5-wg0"), nil, 0o600)
	os.Symlink("notes", filepath.Join(base, "6-wg0"))
	holder := startChild(t, filepath.Join(base, "1-wg0"))
	got := sweep(base)
	want := []string{filepath.Join(base, "2-wg0"), filepath.Join(base, "3-wg1"), filepath.Join(base, "4-wg0")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sweep = %v, want %v", got, want)
	}
	for _, d := range []string{"1-wg0", "notes", "5-wg0", "6-wg0"} {
		if !exists(filepath.Join(base, d)) {
			t.Errorf("sweep removed %s", d)
		}
	}
	holder.kill()
	holder.cmd.Wait()
	if got := sweep(base); !reflect.DeepEqual(got, []string{filepath.Join(base, "1-wg0")}) {
		t.Errorf("after the holder died, sweep = %v", got)
	}
}

// isTunnelName accepts what the sweep may take, and nothing else: the
// names the regexp it replaced accepted, checked on names written well
// and badly.
func TestIsTunnelName(t *testing.T) {
	oracle := regexp.MustCompile(`^(\d+-[^/]+|identity-[0-9a-f]+)$`)
	names := []string{
		"4026532246-wg0", "1-wg0", "12-3-x", "1-", "-wg0", "x1-wg0", "1x-wg0", "1-a/b", "1-\n",
		"identity-0a1b", "identity-", "identity-0A", "identity-xyz", "identity", "identity-0-1",
		"", "-", "notes", "٣-wg0", "1-wg0 ", " 1-wg0", "1-\xff",
	}
	for _, n := range names {
		if got, want := isTunnelName(n), oracle.MatchString(n); got != want {
			t.Errorf("isTunnelName(%q) = %v, want %v", n, got, want)
		}
	}
	for _, n := range []string{"4026532246-wg0", "identity-0a1b"} {
		if !isTunnelName(n) {
			t.Errorf("isTunnelName(%q) = false", n)
		}
	}
}

// writeState adds our pid to the caller's object and replaces state.json
// by rename: a reader of the old one still reads all of it.
func TestWriteState(t *testing.T) {
	dir := t.TempDir()
	if err := writeState(dir, []byte(`{"config":"abc","n":1,"daemonPid":5}`), map[string]string{"udpBufferNotice": ""}); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(filepath.Join(dir, stateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	oldText, _ := os.ReadFile(filepath.Join(dir, stateFile))
	var state map[string]any
	if err := json.Unmarshal(oldText, &state); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"config": "abc", "n": 1.0, "daemonPid": float64(os.Getpid())}; !reflect.DeepEqual(state, want) {
		t.Errorf("state.json: %v, want %v", state, want)
	}
	if err := writeState(dir, []byte(`{"config":"def"}`), map[string]string{"udpBufferNotice": "raise \"it\"", "configIdentity": "abc"}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(oldText)+1)
	if n, _ := old.ReadAt(buf, 0); string(buf[:n]) != string(oldText) {
		t.Errorf("the old state.json changed under its reader: %q", buf[:n])
	}
	newText, _ := os.ReadFile(filepath.Join(dir, stateFile))
	if want := fmt.Sprintf("{\n  \"config\": \"def\",\n  \"configIdentity\": \"abc\",\n  \"daemonPid\": %d,\n  \"udpBufferNotice\": \"raise \\\"it\\\"\"\n}\n", os.Getpid()); string(newText) != want {
		t.Errorf("state.json: %q, want %q", newText, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("left beside state.json: %v", entries)
	}
}

// writeState refuses anything but a JSON object, and writes nothing then.
func TestWriteStateRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, state := range []string{"", "[1]", "null", `"x"`, "{", "{} {}"} {
		if err := writeState(dir, []byte(state), nil); err == nil || !strings.HasPrefix(err.Error(), "-state: expected a JSON object") {
			t.Errorf("writeState(%q): %v", state, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("written: %v", entries)
	}
}

// servedBy names the pid in state.json only while it is a live daemon:
// a process with wireguard4netns as an argument, not a zombie.
func TestServedBy(t *testing.T) {
	dir := t.TempDir()
	if servedBy(dir) != 0 {
		t.Error("no state.json: served")
	}
	writeState(dir, []byte("{}"), nil) // our pid: not a daemon
	if servedBy(dir) != 0 {
		t.Error("served by the test process")
	}
	daemon := startChild(t, "", "wireguard4netns", "-dir", dir)
	pid := daemon.cmd.Process.Pid
	for text, want := range map[string]int{fmt.Sprintf(`{"daemonPid":%d}`, pid): pid, `{"daemonPid":0}`: 0, `{"daemonPid":-1}`: 0, `{"daemonPid":"x"}`: 0, "{": 0} {
		os.WriteFile(filepath.Join(dir, stateFile), []byte(text), 0o600)
		if got := servedBy(dir); got != want {
			t.Errorf("state.json %s: servedBy = %d, want %d", text, got, want)
		}
	}
	os.WriteFile(filepath.Join(dir, stateFile), []byte(fmt.Sprintf(`{"daemonPid":%d}`, pid)), 0o600)
	daemon.kill() // not reaped: a zombie
	stat := func() string { b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); return string(b) }
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(stat(), ") Z ") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if got := servedBy(dir); got != 0 || !strings.Contains(stat(), ") Z ") {
		t.Errorf("a zombie daemon (%s) serves: %d", stat(), got)
	}
}

// mapToParent maps an id through uid_map lines, and keeps one unmapped.
func TestMapToParent(t *testing.T) {
	const userns = "         0       1000          1\n         1     100000      65536\n"
	for _, c := range []struct{ id, want int }{{0, 1000}, {1, 100000}, {5, 100004}, {65536, 165535}, {65537, 65537}} {
		if got := mapToParent(c.id, userns); got != c.want {
			t.Errorf("mapToParent(%d) = %d, want %d", c.id, got, c.want)
		}
	}
	if got := mapToParent(1000, "0 0 4294967295\n"); got != 1000 {
		t.Errorf("identity map: %d", got)
	}
	if got := mapToParent(7, ""); got != 7 {
		t.Errorf("empty map: %d", got)
	}
}

// homeOf finds a uid's home in passwd lines, not another field's number,
// and gives "" for a uid without one.
func TestHomeOf(t *testing.T) {
	const passwd = "root:x:0:0:root:/root:/bin/bash\nx1001:x:1002:1001::/home/x1001:/bin/sh\nwg4ns:x:1001:1001::/home/wg4ns:/bin/bash\nnohome:x:1003:1003::relative:/bin/sh\n"
	for _, c := range []struct {
		uid  int
		want string
	}{{0, "/root"}, {1001, "/home/wg4ns"}, {1002, "/home/x1001"}, {1003, ""}, {4242, ""}} {
		if got := homeOf(c.uid, passwd); got != c.want {
			t.Errorf("homeOf(%d) = %q, want %q", c.uid, got, c.want)
		}
	}
}

// ensurePrivateDir makes a missing folder 0700, takes one only its owner
// may write, and refuses one others may write, a symlink, a file, and one
// of another user.
func TestEnsurePrivateDir(t *testing.T) {
	base := t.TempDir()
	refused := func(path string) string {
		return fmt.Sprintf("%s: expected a folder of uid %d that only it may write", path, os.Geteuid())
	}
	made := filepath.Join(base, "a", "b")
	if err := ensurePrivateDir(made); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(made); st.Mode() != fs.ModeDir|0o700 {
		t.Errorf("made %v", st.Mode())
	}
	for mode, ok := range map[fs.FileMode]bool{0o700: true, 0o755: true, 0o500: true, 0o770: false, 0o702: false, 0o777 | fs.ModeSticky: false} {
		os.Chmod(made, mode)
		if err := ensurePrivateDir(made); ok && err != nil || !ok && (err == nil || err.Error() != refused(made)) {
			t.Errorf("mode %v: %v", mode, err)
		}
	}
	os.Chmod(made, 0o700)
	link := filepath.Join(base, "link")
	os.Symlink(made, link)
	if err := ensurePrivateDir(link); err == nil || err.Error() != refused(link) {
		t.Errorf("symlink: %v", err)
	}
	file := filepath.Join(base, "file")
	os.WriteFile(file, nil, 0o600)
	if err := ensurePrivateDir(file); err == nil {
		t.Error("file: accepted")
	}
	if os.Geteuid() == 0 {
		os.Chown(made, 65534, 65534)
		if err := ensurePrivateDir(made); err == nil || err.Error() != refused(made) {
			t.Errorf("another user's: %v", err)
		}
	}
}
