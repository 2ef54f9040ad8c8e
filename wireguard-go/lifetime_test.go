/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of lifetime.go. Copied into the patched wireguard-go
 * tree at build time, as lifetime.go is.
 */

package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func netnsOf(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func needRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, for network namespaces")
	}
}

// sleeper starts `sleep 60` behind prefix (a command that runs it), with
// cloneflags (CLONE_NEWNET: in a new network namespace). It is killed and
// reaped at the end of the test at the latest.
func sleeper(t *testing.T, cloneflags uintptr, prefix ...string) *exec.Cmd {
	t.Helper()
	args := append(prefix, "sleep", "60")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: cloneflags}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd
}

// sleeperInNetns starts a sleeper in a new network namespace, for tests
// that then enter it with nsenter; returns it, its namespace's path and
// inode.
func sleeperInNetns(t *testing.T) (*exec.Cmd, string, uint64) {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skip("needs nsenter (util-linux)")
	}
	cmd := sleeper(t, unix.CLONE_NEWNET)
	ns := fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid)
	return cmd, ns, netnsOf(t, ns)
}

// awaitDone tells whether done closes within d.
func awaitDone(done chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// processInNetns finds the one process of a namespace, another process of
// ours but never itself, and none in a namespace no process is in.
func TestProcessInNetns(t *testing.T) {
	needRoot(t)
	cmd := sleeper(t, unix.CLONE_NEWNET)
	if got := processInNetns(netnsOf(t, fmt.Sprintf("/proc/%d/ns/net", cmd.Process.Pid))); got != cmd.Process.Pid {
		t.Errorf("in the sleeper's namespace: %d, want %d", got, cmd.Process.Pid)
	}
	ours := netnsOf(t, fmt.Sprintf("/proc/%d/ns/net", os.Getppid())) // go test's, and so ours
	if got := processInNetns(ours); got == os.Getpid() || got <= 0 || netnsOf(t, fmt.Sprintf("/proc/%d/ns/net", got)) != ours {
		t.Errorf("in our namespace: %d (we are %d)", got, os.Getpid())
	}
	// Alone in a namespace of its own, a process finds none: not itself.
	alone := exec.Command(os.Args[0])
	alone.Env = append(os.Environ(), childEnv+"=netns")
	alone.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET}
	if out, err := alone.Output(); err != nil || string(out) != "0\n" {
		t.Errorf("alone in its namespace, a process found %q (%v)", out, err)
	}
	// A namespace only an fd holds: made by a thread that then ends.
	nsc := make(chan *os.File)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if unix.Unshare(unix.CLONE_NEWNET) != nil {
			nsc <- nil
			return
		}
		f, _ := os.Open("/proc/thread-self/ns/net")
		nsc <- f
	}()
	empty := <-nsc
	if empty == nil {
		t.Fatal("cannot make a network namespace")
	}
	defer empty.Close()
	ino, _ := netnsInode(empty)
	if got := processInNetns(ino); got != 0 {
		t.Errorf("in a namespace without processes: %d", got)
	}
}

// A process with only its main thread in a namespace (as CRI-O was seen
// with a pod's) is not one that lives there: the tunnel must not wait for it.
func TestProcessInNetnsVisitor(t *testing.T) {
	needRoot(t)
	c := startChild(t, "visitor")
	proc := fmt.Sprintf("/proc/%d", c.cmd.Process.Pid)
	ino := netnsOf(t, proc+"/ns/net")
	// What the check is for: /proc/PID/ns/net shows the namespace, and another thread is elsewhere.
	if ino == netnsOf(t, "/proc/self/ns/net") {
		t.Fatalf("the child's main thread is not in a new namespace")
	}
	if threadsInNetns(proc+"/task", ino) {
		t.Fatalf("every thread of the child is in its new namespace: no visitor to test")
	}
	if got := processInNetns(ino); got != 0 {
		t.Errorf("a namespace only a visiting thread is in: %d (the visitor is %d)", got, c.cmd.Process.Pid)
	}
}

// awaitExit returns once the process exits (without reaping it), not
// before, and at once for a process that is gone.
func TestAwaitExit(t *testing.T) {
	cmd := sleeper(t, 0)
	done := make(chan struct{})
	go func() { awaitExit(cmd.Process.Pid); close(done) }()
	if awaitDone(done, 100*time.Millisecond) {
		t.Fatal("returned while the process lives")
	}
	cmd.Process.Kill()
	if !awaitDone(done, 5*time.Second) {
		t.Fatal("did not return once the process was killed")
	}
	if stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid)); !strings.Contains(string(stat), ") Z ") {
		t.Errorf("not a zombie: %q", stat)
	}
	cmd.Wait()
	start := time.Now()
	awaitExit(cmd.Process.Pid)
	if time.Since(start) > time.Second {
		t.Error("waited for a process that was gone")
	}
}

// awaitNetnsEmpty outlives the watched process while another process is
// in its namespace (the next container of a pod), and returns after both.
func TestAwaitNetnsEmpty(t *testing.T) {
	first, ns, ino := sleeperInNetns(t)
	second := sleeper(t, 0, "nsenter", "--net="+ns)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		var st unix.Stat_t
		if unix.Stat(fmt.Sprintf("/proc/%d/ns/net", second.Process.Pid), &st) == nil && st.Ino == ino {
			break // nsenter has entered it
		} else if time.Now().After(deadline) {
			t.Fatal("nsenter did not enter the namespace")
		}
	}
	done := make(chan struct{})
	go func() { awaitNetnsEmpty(first.Process.Pid, ino); close(done) }()
	first.Process.Kill()
	first.Wait()
	if awaitDone(done, 200*time.Millisecond) {
		t.Fatal("returned while a process is left in the namespace")
	}
	second.Process.Kill()
	if !awaitDone(done, 5*time.Second) {
		t.Fatal("did not return once the namespace was empty")
	}
}

// awaitFirstProcess finds a process that enters a namespace after it began
// to look, and gives up at its bound on a namespace no process enters.
func TestAwaitFirstProcess(t *testing.T) {
	first, ns, ino := sleeperInNetns(t)
	holder, err := os.Open(ns) // the namespace outlives its process, as a bind mount keeps it
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	first.Process.Kill()
	first.Wait()
	start := time.Now()
	if got := awaitFirstProcess(ino, 200*time.Millisecond); got != 0 || time.Since(start) < 200*time.Millisecond {
		t.Errorf("an empty namespace: %d after %v", got, time.Since(start))
	}
	found := make(chan int, 1)
	go func() { found <- awaitFirstProcess(ino, 5*time.Second) }()
	time.Sleep(100 * time.Millisecond)
	second := sleeper(t, 0, "nsenter", fmt.Sprintf("--net=/proc/%d/fd/%d", os.Getpid(), holder.Fd()))
	if got := <-found; got != second.Process.Pid {
		t.Errorf("found %d, want the process that entered, %d", got, second.Process.Pid)
	}
}
