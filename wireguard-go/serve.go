/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's serve stage: the UAPI socket accepts
 * connections and state.json says the tunnel is ready, for the caller and
 * for a start that raced with this one (it joins). Copied into the patched
 * wireguard-go tree at build time.
 */

package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
)

// serve accepts UAPI connections on uapiFile for dev, and writes state, the
// caller's JSON object, with added (folder.go writeState) as
// <dir>/state.json when state is given. gone says when the listener ends
// (the socket was deleted); undo closes it.
func serve(dir, ifname, state string, dev *device.Device, uapiFile *os.File, added map[string]string) (gone <-chan error, undo func(), err error) {
	uapi, err := ipc.UAPIListen(ifname, uapiFile)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to listen on UAPI socket: %v", err)
	}
	errs := make(chan error, 1)
	go accept(uapi, dev, errs)
	if state != "" {
		if err := writeState(dir, []byte(state), added); err != nil {
			uapi.Close()
			return nil, nil, fmt.Errorf("failed to write the state: %v", err)
		}
	}
	return errs, func() { uapi.Close() }, nil
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
// (folders beside dir whose lock is free), so that no poststop hook has
// to run at every container stop.
func afterReady(dir, ifname string, log *daemonLog, notice string) {
	if notice != "" {
		log.notice(ifname, notice)
	}
	for _, left := range sweep(filepath.Dir(dir)) {
		log.Verbosef("wireguard4netns: removed %s, which a killed daemon left", left)
	}
}
