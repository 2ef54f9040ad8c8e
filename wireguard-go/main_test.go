/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the test binary doubles as a helper child process, for
 * what needs another process: a lock held elsewhere, a process that looks
 * like a daemon, a process to wait for.
 */

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

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
	if len(os.Args) > 1 && os.Args[1] == "fake-node" { // what the hook runs
		fakeNode()
	}
	if len(os.Args) > 1 && os.Args[1] == "fake-node-verdict" { // a Node that answers, then takes its time to exit
		fmt.Println("decided")
		fd, _ := strconv.Atoi(os.Getenv(hookVerdictEnv))
		unix.Write(fd, []byte{7})
		time.Sleep(3 * time.Second)
		os.Exit(0)
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
// descriptors it holds ("fds 0 1 2 3", openFds) on fd 3 and ends.
func fakeDaemon() {
	unix.Write(3, []byte("fds "+openFds()+"\n"))
	os.Exit(0)
}

// fakeNode stands in for the Node that hookMain execs: it prints the
// daemon line of its environment, the descriptors it holds, what its fd 0
// is, and the first line of the daemon's reports.
func fakeNode() {
	fds := openFds()
	line := os.Getenv(hookDaemonEnv)
	stdin, _ := os.Readlink("/proc/self/fd/0")
	var d struct{ ReportFd int }
	json.Unmarshal([]byte(line), &d)
	var report []byte
	for b := make([]byte, 1); len(report) < 4096; report = append(report, b[0]) {
		if n, _ := unix.Read(d.ReportFd, b); n != 1 || b[0] == '\n' {
			break
		}
	}
	fmt.Printf("%s\n%s\n%s\n%s\n", line, fds, stdin, report)
	os.Exit(0)
}

// openFds lists this process's descriptors without opening one, as a
// listing of /proc/self/fd (or a shell's pipe to print it) would.
func openFds() string {
	var fds []string
	for fd := 0; fd < 1024; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, strconv.Itoa(fd))
		}
	}
	return strings.Join(fds, " ")
}
