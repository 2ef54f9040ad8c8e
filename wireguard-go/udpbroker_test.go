/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of udpbroker.go. Copied into the patched wireguard-go
 * tree at build time, as udpbroker.go is.
 */

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A daemon's ListenUDP gets a bound socket of the requested family from
// the broker, at the port asked for or any; a port in use comes back as
// EADDRINUSE (wireguard-go's bind retries on it); a bad request is refused.
func TestUDPBroker(t *testing.T) {
	path := filepath.Join(t.TempDir(), "udp.sock")
	done := make(chan int)
	go func() { done <- udpBrokerMain([]string{"-socket", path}) }()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatal("the broker did not listen")
		}
	}
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
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the broker did not end on SIGTERM")
	}
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
