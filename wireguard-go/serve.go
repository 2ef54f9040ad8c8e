/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's serve stage: the UAPI socket accepts
 * connections and state.json says the tunnel is ready, for the caller and
 * for a start that raced with this one (it joins). Copied into the patched
 * wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// socketCheckInterval is how often the daemon looks whether its UAPI
// socket is still there.
const socketCheckInterval = time.Second

// serve accepts UAPI connections on uapiFile for dev, and writes state, the
// caller's JSON object, with added (folder.go writeState) as
// <dir>/state.json when state is given. gone says when the listener ends
// or its socket was deleted (or replaced); undo closes it.
//
// Not upstream's ipc.UAPIListen: it watches the socket with an inotify
// instance, and the kernel allows a user 128 of them
// (fs.inotify.max_user_instances), which one node's 110 pods ran out of
// (docs/kubernetes.md). A look every socketCheckInterval costs no
// instance.
func serve(dir, ifname, state string, dev *device.Device, uapiFile *os.File, added map[string]string) (gone <-chan error, undo func(), err error) {
	uapi, err := net.FileListener(uapiFile)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to listen on UAPI socket: %v", err)
	}
	errs := make(chan error, 2)
	stop := make(chan struct{})
	undo = func() {
		close(stop)
		uapi.Close()
	}
	go accept(uapi, dev, errs)
	if err := watchSocket(uapi.Addr().String(), socketCheckInterval, errs, stop); err != nil {
		undo()
		return nil, nil, fmt.Errorf("failed to watch the UAPI socket: %v", err)
	}
	if state != "" {
		if err := writeState(dir, []byte(state), added); err != nil {
			undo()
			return nil, nil, fmt.Errorf("failed to write the state: %v", err)
		}
	}
	return errs, undo, nil
}

// watchSocket notes which file path is now, then sends on gone once it no
// longer is (deleted, or another file in its place), looking every
// interval, until stop closes.
func watchSocket(path string, interval time.Duration, gone chan<- error, stop <-chan struct{}) error {
	var was unix.Stat_t
	if err := unix.Lstat(path, &was); err != nil {
		return err
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			var now unix.Stat_t
			if err := unix.Lstat(path, &now); err != nil {
				gone <- err
				return
			}
			if now.Ino != was.Ino || now.Dev != was.Dev {
				gone <- errors.New("the UAPI socket was replaced")
				return
			}
		}
	}()
	return nil
}

// accept hands each connection to dev, until the listener fails.
func accept(uapi net.Listener, dev *device.Device, errs chan<- error) {
	for {
		c, err := uapi.Accept()
		if err != nil {
			errs <- err
			return
		}
		go dev.IpcHandle(c)
	}
}

// afterReady does, once the caller has its answer, what need not delay
// it: the UDP buffers' notice, and removing what killed daemons left
// (folders beside dir whose lock is free), so that podman needs no
// poststop hook at every container stop.
func afterReady(dir, ifname string, log *daemonLog, notice string) {
	if notice != "" {
		log.notice(ifname, notice)
	}
	for _, left := range sweep(filepath.Dir(dir)) {
		log.Verbosef("wireguard4netns: removed %s, which a killed daemon left", left)
	}
}
