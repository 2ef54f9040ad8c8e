/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of the hook's first process (hook.go). Not
 * upstream source: copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
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

// Without a container of ours, it execs the program at once, with core
// dumps off and the state it read on stdin, and names no daemon.
func TestHookExecsWithState(t *testing.T) {
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
