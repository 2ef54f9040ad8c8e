/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the hook's first process (hook.go). Not
 * upstream source: copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestDaemonArgs(t *testing.T) {
	env := map[string]string{"WIREGUARD4NETNS_LOG_MAX": "4096"}
	got := daemonArgs("/opt/w4n/wireguard-go", "/proc/42/ns/net", 42, "/run/w/7-wg0", func(k string) string { return env[k] })
	want := []string{"/opt/w4n/wireguard-go", "wireguard4netns", "-netns", "/proc/42/ns/net", "-interface", "wg0", "-dir", "/run/w/7-wg0",
		"-watch-pid", "42", "-config-fd", "0", "-config-flags", "-log-max", "4096"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("daemonArgs = %q, want %q", got, want)
	}
}

// Without a container of ours, it runs the program at once, with core
// dumps off and the state it read on stdin, and names no daemon.
func TestHookRunsWithState(t *testing.T) {
	state := `{"status":"creating","pid":1,"annotations":{}}`
	cmd := exec.Command(os.Args[0], "sh", "-c", `ulimit -c; cat; echo; echo "${WIREGUARD4NETNS_HOOK_DAEMON:-no daemon}"`)
	cmd.Env = append(os.Environ(), childEnv+"=hook")
	cmd.Stdin = strings.NewReader(state)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "0\n" + state + "\nno daemon\n"; string(out) != want {
		t.Errorf("the program printed %q, want %q", out, want)
	}
}

// What Node gets: the OCI state on fd 0, its stdout and stderr, the
// verdict pipe, and the daemon's two pipe ends the env line names, nothing else
// (no second memfd holding the state, no /dev/null, no daemon's end of a
// pipe, nothing the runtime left open to the hook); the daemon gets fds
// 0-3 only. Our own pid stands for the
// container's (only its network namespace is looked at); the daemon is
// this test binary (fakeDaemon), and so is the fake Node (fakeNode): it
// lists its own descriptors, without opening one (a shell's listing
// would see its own pipes), and passes on the daemon's report.
func TestHookPassesOnlyItsDescriptors(t *testing.T) {
	state := fmt.Sprintf(`{"status":"creating","pid":%d,"annotations":{"wireguard4netns.conf":"/x.conf"}}`, os.Getpid())
	cmd := exec.Command(os.Args[0], os.Args[0], "fake-node")
	cmd.Env = append(os.Environ(), childEnv+"=hook", runtimeDirEnv+"="+t.TempDir())
	cmd.Stdin = strings.NewReader(state)
	// What a runtime may leave open to its hooks: the launcher's fd 3.
	leak, leakW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer leak.Close()
	defer leakW.Close()
	cmd.ExtraFiles = []*os.File{leak}
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	if len(lines) < 4 {
		t.Fatalf("the fake Node printed %q", out)
	}
	var d struct{ ReportFd, ConfigFd int }
	if err := json.Unmarshal([]byte(lines[0]), &d); err != nil {
		t.Fatalf("no daemon named: %q", lines[0])
	}
	want := map[string]bool{"0": true, "1": true, "2": true, "3": true, strconv.Itoa(d.ReportFd): true, strconv.Itoa(d.ConfigFd): true}
	got := strings.Fields(lines[1])
	for _, fd := range got {
		if !want[fd] {
			t.Errorf("Node holds fds %v; want only 0, 1, 2, 3 (the verdict), %d (reports) and %d (config)", got, d.ReportFd, d.ConfigFd)
			break
		}
	}
	if !strings.HasPrefix(lines[2], "/memfd:oci-state") {
		t.Errorf("Node's fd 0 is %q, want the state's memfd", lines[2])
	}
	if lines[3] != "fds 0 1 2 3" {
		t.Errorf("the daemon said %q, want \"fds 0 1 2 3\"", lines[3])
	}
}

// The runtime has its answer when Node writes its verdict, with what Node
// printed before it, not when Node has exited.
func TestHookAnswersWithNodesVerdict(t *testing.T) {
	cmd := exec.Command(os.Args[0], os.Args[0], "fake-node-verdict")
	cmd.Env = append(os.Environ(), childEnv+"=hook")
	cmd.Stdin = strings.NewReader(`{"status":"creating","pid":1,"annotations":{}}`)
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 7 {
		t.Fatalf("the hook ended with %v; want exit status 7, the verdict", err)
	}
	if string(out) != "decided\n" {
		t.Errorf("the hook printed %q; want what Node printed before its verdict", out)
	}
	if took > 2*time.Second {
		t.Errorf("the hook took %v: it waited for Node's exit (3 s after its verdict)", took)
	}
}

// A Node that ends without a verdict ends the hook with its own status.
func TestHookWithoutVerdictEndsWithNodesStatus(t *testing.T) {
	cmd := exec.Command(os.Args[0], "sh", "-c", "echo oops >&2; exit 3")
	cmd.Env = append(os.Environ(), childEnv+"=hook")
	cmd.Stdin = strings.NewReader(`{"status":"creating","pid":1,"annotations":{}}`)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("the hook ended with %v; want exit status 3, Node's", err)
	}
	if stderr.String() != "oops\n" {
		t.Errorf("the hook's stderr was %q; want Node's", stderr.String())
	}
}

// A hook that the runtime kills (its timeout) leaves no Node behind.
func TestHookKilledTakesNodeAlong(t *testing.T) {
	cmd := exec.Command(os.Args[0], "sh", "-c", "echo $$; exec sleep 30")
	cmd.Env = append(os.Environ(), childEnv+"=hook")
	cmd.Stdin = strings.NewReader(`{"status":"creating","pid":1,"annotations":{}}`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	node, _ := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || node <= 0 {
		cmd.Process.Kill()
		t.Fatalf("Node's pid: read %q (%v)", line, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", node))
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return // gone, or a zombie for its new parent to reap
		}
		if time.Now().After(deadline) {
			unix.Kill(node, unix.SIGKILL)
			t.Fatalf("Node (pid %d) outlived the hook by 2 s", node)
		}
	}
}
