/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the hook's replay (replay.go). Not upstream
 * source: copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// caseOf reads path as replayFor does.
func caseOf(t *testing.T, path string) *replayCase {
	t.Helper()
	data, st, err := readConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &replayCase{path: path, data: data, stat: st}
}

// The key changes with each input Node's checks read, and only then.
func TestReplayKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "edge.conf")
	if err := os.WriteFile(path, []byte("[Interface]\nPrivateKey = A\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	loader := filepath.Join(dir, "hook")
	os.WriteFile(loader, []byte("loader"), 0o644)
	base := replayKey(caseOf(t, path), "", "", []string{loader})
	if again := replayKey(caseOf(t, path), "", "", []string{loader}); again != base {
		t.Fatalf("the same inputs gave another key")
	}
	for what, change := range map[string]func() string{
		"verbose": func() string { return replayKey(caseOf(t, path), "", "1", []string{loader}) },
		"program": func() string { return replayKey(caseOf(t, path), "", "", []string{path}) },
		"bundle": func() string {
			os.WriteFile(loader+".js", []byte("bundle"), 0o644)
			defer os.Remove(loader + ".js")
			return replayKey(caseOf(t, path), "", "", []string{loader})
		},
		"mode": func() string {
			os.Chmod(path, 0o640)
			defer os.Chmod(path, 0o600)
			return replayKey(caseOf(t, path), "", "", []string{loader})
		},
		"bytes, same size": func() string {
			c := caseOf(t, path)
			c.data = []byte(strings.Replace(string(c.data), "A", "B", 1))
			return replayKey(c, "", "", []string{loader})
		},
		"path": func() string {
			c := caseOf(t, path)
			c.path += "x"
			return replayKey(c, "", "", []string{loader})
		},
	} {
		if change() == base {
			t.Errorf("%s changed, the key did not", what)
		}
	}
}

func TestReadConfigFileRefuses(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.conf")
	os.WriteFile(big, make([]byte, maxConfigBytes+1), 0o600)
	link := filepath.Join(dir, "link.conf")
	os.Symlink(big, link)
	fifo := filepath.Join(dir, "fifo")
	unix.Mkfifo(fifo, 0o600)
	for _, p := range []string{big, link, fifo, dir, filepath.Join(dir, "none")} {
		if _, _, err := readConfigFile(p); err == nil {
			t.Errorf("readConfigFile(%s) read it", p)
		}
	}
}

func TestReplayFilled(t *testing.T) {
	private, psk := make([]byte, 32), make([]byte, 32)
	for i := range private {
		private[i], psk[i] = byte(i), byte(255-i)
	}
	text := "[Interface]\nPrivateKey = " + base64.StdEncoding.EncodeToString(private) + "\n[Peer]\nPresharedKey = " + base64.StdEncoding.EncodeToString(psk) + "\n"
	at := func(b []byte) [2]int { return [2]int{strings.Index(text, base64.StdEncoding.EncodeToString(b)), 44} }
	e := replayEntry{
		Flags:   []string{"-mtu", "1420", "-identity", `{"presharedKey":"{{secret 1}}"}`},
		UAPI:    "private_key={{secret 0}}\npreshared_key={{secret 1}}\n",
		Secrets: [][2]int{at(private), at(psk)},
	}
	flags, uapi, err := e.filled([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if want := "private_key=" + hex.EncodeToString(private) + "\npreshared_key=" + hex.EncodeToString(psk) + "\n"; uapi != want {
		t.Errorf("uapi = %q, want %q", uapi, want)
	}
	if want := `{"presharedKey":"` + hex.EncodeToString(psk) + `"}`; flags[3] != want {
		t.Errorf("identity flag = %q, want %q", flags[3], want)
	}
	for _, bad := range [][2]int{{len(text) - 10, 44}, {-1, 44}, {0, 44}} {
		e.Secrets = [][2]int{bad}
		if _, _, err := e.filled([]byte(text)); err == nil {
			t.Errorf("secret at %v: filled", bad)
		}
	}
}

// An entry is taken only when it is ours, nobody else may write it, and it was made for the key.
func TestLoadReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "replay")
	os.Mkdir(dir, 0o700)
	path := filepath.Join(dir, "e.json")
	text, _ := json.Marshal(replayEntry{Key: "k1", Config: "/c.conf"})
	os.WriteFile(path, text, 0o600)
	if e := loadReplay(path, "k1"); e == nil || e.Config != "/c.conf" {
		t.Fatalf("loadReplay = %+v", e)
	}
	if loadReplay(path, "k2") != nil {
		t.Error("taken for another key")
	}
	os.Chmod(path, 0o620)
	if loadReplay(path, "k1") != nil {
		t.Error("taken, group-writable")
	}
	os.Chmod(path, 0o600)
	os.Chmod(dir, 0o777)
	if loadReplay(path, "k1") != nil {
		t.Error("taken from a folder anyone may write")
	}
}

func TestResolvConfPath(t *testing.T) {
	bundle := t.TempDir()
	for _, c := range []struct{ spec, want string }{
		{`{"root":{"path":"rootfs"},"mounts":[{"destination":"/etc/resolv.conf","source":"/run/x/resolv.conf"}]}`, "/run/x/resolv.conf"},
		{`{"root":{"path":"rootfs"},"mounts":[{"destination":"/proc","source":"proc"}]}`, filepath.Join(bundle, "rootfs/etc/resolv.conf")},
		{`{"root":{"path":"/abs/root"}}`, "/abs/root/etc/resolv.conf"},
		{`{}`, ""},
		{`not json`, ""},
	} {
		os.WriteFile(filepath.Join(bundle, "config.json"), []byte(c.spec), 0o600)
		if got := resolvConfPath(bundle); got != c.want {
			t.Errorf("resolvConfPath(%s) = %q, want %q", c.spec, got, c.want)
		}
	}
}

func TestWriteResolvConfRefusesSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("keep\n"), 0o644)
	link := filepath.Join(dir, "resolv.conf")
	os.Symlink(target, link)
	if writeResolvConf(link, "nameserver 198.51.100.53\n") == nil {
		t.Error("wrote through a symlink")
	}
	if text, _ := os.ReadFile(target); string(text) != "keep\n" {
		t.Errorf("the symlink's target changed: %q", text)
	}
	os.Symlink(dir, filepath.Join(dir, "linked"))
	if writeResolvConf(filepath.Join(dir, "linked", "resolv.conf"), "x\n") == nil {
		t.Error("wrote into a folder that is a symlink")
	}
}

func TestProcessStart(t *testing.T) {
	if processStart(os.Getpid()) == 0 {
		t.Error("no start time for this process")
	}
	if processStart(1<<22+1) != 0 {
		t.Error("a start time for no process")
	}
}

// What only Node may do: a config inside the container, a wait, a test stop, a relative or unclean path.
func TestReplayForLeavesToNode(t *testing.T) {
	env := func(k string) string { return "" }
	for _, a := range []map[string]string{
		{configAnnotation: "container:/etc/wg/edge.conf"},
		{configAnnotation: "/home/u/edge.conf", waitAnnotation: "5"},
		{configAnnotation: "relative.conf"},
		{configAnnotation: "/home/u/../u/edge.conf"},
	} {
		if c := replayFor(ociState{ID: "c1", Pid: 1, Annotations: a}, t.TempDir(), nil, env); c != nil {
			t.Errorf("replayFor(%v) = %+v", a, c)
		}
	}
	for _, id := range []string{"", "../../etc/x", "a/b", strings.Repeat("a", 129)} {
		if containerID.MatchString(id) {
			t.Errorf("container id %q taken", id)
		}
	}
	stop := func(k string) string { return map[string]string{testStopEnv: "spawn"}[k] }
	if c := replayFor(ociState{ID: "c1", Pid: 1, Annotations: map[string]string{configAnnotation: "/etc/hostname"}}, t.TempDir(), nil, stop); c != nil {
		t.Errorf("replayed with a test stop: %+v", c)
	}
	if uidMap, _ := os.ReadFile("/proc/self/uid_map"); mapToParent(os.Geteuid(), string(uidMap)) == 0 {
		if c := replayFor(ociState{ID: "c1", Pid: 1, Annotations: map[string]string{configAnnotation: "/etc/hostname"}}, t.TempDir(), nil, env); c != nil {
			t.Errorf("replayed as real root: %+v", c)
		}
	}
}
