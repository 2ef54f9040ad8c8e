/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of serve.go's watch of the UAPI socket. Copied into
 * the patched wireguard-go tree at build time, as serve.go is.
 */

package main

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const watchTick = 10 * time.Millisecond

// watched starts watchSocket on a new Unix socket; stop ends the watch.
func watched(t *testing.T) (path string, gone chan error, stop chan struct{}) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "wg0.sock")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	t.Cleanup(func() { l.Close() })
	gone, stop = make(chan error, 1), make(chan struct{})
	if err := watchSocket(path, watchTick, gone, stop); err != nil {
		t.Fatal(err)
	}
	return path, gone, stop
}

func expectGone(t *testing.T, gone chan error, what string) {
	t.Helper()
	select {
	case <-gone:
	case <-time.After(100 * watchTick):
		t.Fatalf("%s: the watch did not say so within %v", what, 100*watchTick)
	}
}

func TestWatchSocketSeesItDeleted(t *testing.T) {
	path, gone, _ := watched(t)
	time.Sleep(3 * watchTick)
	select {
	case err := <-gone:
		t.Fatalf("gone while the socket is there: %v", err)
	default:
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	expectGone(t, gone, "socket deleted")
}

func TestWatchSocketSeesItReplaced(t *testing.T) {
	path, gone, _ := watched(t)
	// Another socket moved to the same path (made beside it first, so that
	// it cannot get the old one's inode number back).
	other := path + ".new"
	l, err := net.Listen("unix", other)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	expectGone(t, gone, "socket replaced")
}

func TestWatchSocketRefusesNoSocket(t *testing.T) {
	if err := watchSocket(filepath.Join(t.TempDir(), "none.sock"), watchTick, make(chan error, 1), make(chan struct{})); err == nil {
		t.Fatal("watching a missing socket: no error")
	}
}

func TestWatchSocketStops(t *testing.T) {
	path, gone, stop := watched(t)
	close(stop)
	time.Sleep(3 * watchTick)
	os.Remove(path)
	time.Sleep(5 * watchTick)
	select {
	case err := <-gone:
		t.Fatalf("reported after stop: %v", err)
	default:
	}
}
