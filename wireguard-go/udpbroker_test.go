/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of udpbroker.go. Copied into the patched wireguard-go
 * tree at build time, as udpbroker.go is.
 */

package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// startBroker runs udpBrokerMain on path until the returned stop
// (SIGTERM), which waits for it to end.
func startBroker(t *testing.T, path string) (stop func()) {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- udpBrokerMain([]string{"-socket", path}) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("the broker did not listen")
		}
	}
	return func() {
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the broker did not end on SIGTERM")
		}
	}
}

// A daemon's ListenUDP gets a bound socket of the requested family from
// the broker, at the port asked for or any; a port in use comes back as
// EADDRINUSE (wireguard-go's bind retries on it); a bad request is refused.
func TestUDPBroker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "udp.sock")
	stop := startBroker(t, path)
	listen := udpFromBroker(path, t.Logf)
	v4, err := listen("udp4", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer v4.Close()
	port := v4.LocalAddr().(*net.UDPAddr).Port
	if port == 0 || v4.LocalAddr().(*net.UDPAddr).IP.To4() == nil {
		t.Errorf("udp4: bound to %v", v4.LocalAddr())
	}
	v6, err := listen("udp6", port)
	if err != nil {
		t.Fatalf("udp6 at the v4 socket's port: %v", err)
	}
	defer v6.Close()
	if got := v6.LocalAddr().(*net.UDPAddr).Port; got != port {
		t.Errorf("udp6 at port %d, want %d", got, port)
	}
	// The socket works: it receives what is sent to its port.
	sender, _ := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	defer sender.Close()
	sender.Write([]byte("hello"))
	v4.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 16)
	if n, _, err := v4.ReadFromUDP(buf); err != nil || string(buf[:n]) != "hello" {
		t.Errorf("read %q, %v", buf[:n], err)
	}
	if _, err := listen("udp4", port); !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("a port in use: %v, want EADDRINUSE", err)
	}
	if _, err := listen("tcp", 0); err == nil {
		t.Error("a tcp request was served")
	}
	stop()
	if _, err := os.Stat(path); err == nil {
		t.Error("the broker left its socket")
	}
	// Gone, it is no reason to fail: the daemon listens itself.
	var said string
	own, err := udpFromBroker(path, func(f string, a ...any) { said = fmt.Sprintf(f, a...) })("udp4", 0)
	if err != nil {
		t.Fatalf("without a broker: %v", err)
	}
	own.Close()
	if !strings.Contains(said, "listening in this namespace instead") {
		t.Errorf("logged %q", said)
	}
}

// A client of another uid is refused, even when the socket's mode lets it
// connect: the broker asks the kernel who connected (SO_PEERCRED). The
// client is a thread of this test that drops to nobody with a raw
// setresuid (per thread, unlike syscall.Setresuid), so it needs root; the
// thread is never unlocked, so it ends with its goroutine.
func TestUDPBrokerRefusesAnotherUser(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, to connect as another uid")
	}
	dir, err := os.MkdirTemp("", "w4n-broker-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "udp.sock")
	stop := startBroker(t, path)
	defer stop()
	// What an attacker would need on top: a folder others may enter and a
	// socket they may write.
	os.Chmod(dir, 0o711)
	os.Chmod(path, 0o666)
	answer := make(chan string, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with this goroutine
		const nobody = 65534
		if _, _, errno := unix.RawSyscall(unix.SYS_SETRESUID, nobody, nobody, nobody); errno != 0 {
			answer <- "setresuid: " + errno.Error()
			return
		}
		fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			answer <- "socket: " + err.Error()
			return
		}
		defer unix.Close(fd)
		if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
			answer <- "connect: " + err.Error()
			return
		}
		unix.Write(fd, []byte("udp4 0\n"))
		unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 5})
		buf := make([]byte, 64)
		n, _ := unix.Read(fd, buf)
		answer <- fmt.Sprintf("answer %q", buf[:max(n, 0)])
	}()
	if got := <-answer; got != `answer ""` {
		t.Errorf("uid 65534 got %s, want the connection closed unanswered", got)
	}
	// Ours is still served.
	c, err := udpFromBroker(path, t.Logf)("udp4", 0)
	if err != nil {
		t.Fatalf("after the refusal: %v", err)
	}
	c.Close()
}

// The broker will not listen in a folder others may write: they could
// replace its socket with theirs.
func TestUDPBrokerRefusesAnOpenFolder(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o777)
	done := make(chan int, 1)
	go func() { done <- udpBrokerMain([]string{"-socket", filepath.Join(dir, "udp.sock")}) }()
	select {
	case got := <-done:
		if got != 1 {
			t.Errorf("exit %d, want 1", got)
		}
	case <-time.After(2 * time.Second):
		t.Error("listened in a folder of mode 0777")
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-done
	}
}

// A daemon given something other than a UDP socket of the family it asked
// for gets an error, not a panic: a pipe, a TCP socket, a Unix datagram
// socket (which net.FilePacketConn turns into a *net.UnixConn) and a UDP
// socket of the other family. The "broker" here passes them as a real one
// would, over a real Unix socket.
func TestUDPFromBrokerRefusesOtherDescriptors(t *testing.T) {
	var pipe [2]int
	if err := unix.Pipe2(pipe[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(pipe[0])
	defer unix.Close(pipe[1])
	socket := func(domain, typ int) int {
		fd, err := unix.Socket(domain, typ|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Close(fd) })
		return fd
	}
	for _, c := range []struct {
		name string
		fd   int
	}{
		{"a pipe", pipe[0]},
		{"a TCP socket", socket(unix.AF_INET, unix.SOCK_STREAM)},
		{"a Unix datagram socket", socket(unix.AF_UNIX, unix.SOCK_DGRAM)},
		{"a UDP socket of IPv6", socket(unix.AF_INET6, unix.SOCK_DGRAM)},
	} {
		path := filepath.Join(t.TempDir(), "fake.sock")
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c2, err := l.AcceptUnix()
			if err != nil {
				return
			}
			defer c2.Close()
			io.ReadFull(c2, make([]byte, len("udp4 0\n")))
			c2.WriteMsgUnix([]byte("ok\n"), unix.UnixRights(c.fd), nil)
		}()
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: panic: %v", c.name, r)
				}
			}()
			got, err := udpFromBroker(path, t.Logf)("udp4", 0)
			if err == nil {
				got.Close()
				t.Errorf("%s was taken for a udp4 socket", c.name)
			} else {
				t.Logf("%s: %v", c.name, err)
			}
		}()
		l.Close()
	}
}
