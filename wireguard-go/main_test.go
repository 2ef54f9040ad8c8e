/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the test binary doubles as a helper child process, for
 * what needs another process: a lock held elsewhere, a process that looks
 * like a daemon, a process to wait for.
 */

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

const childEnv = "WIREGUARD4NETNS_TEST_CHILD"

// TestMain runs the helper instead of the tests when childEnv is set: it
// takes the lock of the folder named by childEnv (if any), says "ready",
// and lives until its stdin closes; with childEnv=visitor, it first moves
// its main thread alone into a new network namespace. With childEnv=netns, it prints what
// processInNetns finds in its own network namespace instead; with
// childEnv=hook, it is `wireguard-go wireguard4netns-hook ARGS...`; run
// as `wireguard4netns ...` (the daemon hookMain starts, with no
// environment), it is fakeDaemon.
// A visitor child (childEnv=visitor) keeps its main goroutine on the main
// thread, the one /proc/PID/ns/net shows.
func init() {
	if os.Getenv(childEnv) == "visitor" {
		runtime.LockOSThread()
	}
}

func TestMain(m *testing.M) {
	dir, isChild := os.LookupEnv(childEnv)
	if !isChild && len(os.Args) > 1 && os.Args[1] == "wireguard4netns" { // the hook's early daemon
		fakeDaemon()
	}
	if !isChild {
		os.Exit(m.Run())
	}
	if dir == "hook" { // the hook's first process, with the arguments given
		os.Exit(hookMain(os.Args[1:]))
	}
	if dir == "visitor" { // the main thread in a network namespace of its own, every other thread not
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		dir = ""
	}
	if dir == "netns" { // what processInNetns finds in our own namespace
		var st unix.Stat_t
		unix.Stat("/proc/self/ns/net", &st)
		fmt.Println(processInNetns(st.Ino))
		os.Exit(0)
	}
	if dir != "" {
		if _, err := lockDir(dir); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// child is a helper process; closing stdin ends it.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
}

// startChild starts the helper, holding lockDir(dir) if dir is not empty,
// with args as its command line (which the helper ignores), and returns once
// it is ready. It is killed and reaped at the end of the test at the latest.
func startChild(t *testing.T, dir string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), childEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd, stdin}
	t.Cleanup(func() { c.kill(); c.cmd.Wait() })
	if line, _ := bufio.NewReader(stdout).ReadString('\n'); line != "ready\n" {
		t.Fatalf("helper child: %q", line)
	}
	return c
}

// stop ends the child the ordinary way (its lock goes with it) and reaps it.
func (c *child) stop(t *testing.T) {
	c.stdin.Close()
	if err := c.cmd.Wait(); err != nil {
		t.Fatalf("helper child: %v", err)
	}
}

func (c *child) kill() { c.cmd.Process.Kill() }

// fakeDaemon stands in for the daemon hookMain starts: it reports the
// descriptors it holds ("fds 0 1 2 3"; /proc/self/fd, less the one that
// reads it) on fd 3 and ends.
func fakeDaemon() {
	entries, _ := os.ReadDir("/proc/self/fd")
	fds := ""
	for _, e := range entries[:max(len(entries)-1, 0)] { // the last is ReadDir's own
		fds += " " + e.Name()
	}
	unix.Write(3, []byte("fds"+fds+"\n"))
	os.Exit(0)
}
