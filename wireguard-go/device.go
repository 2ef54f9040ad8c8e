/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's device stage: the UAPI socket, then the
 * WireGuard device on the TUN, up and waiting for its configuration.
 * Copied into the patched wireguard-go tree at build time.
 */

package main

import (
	"fmt"
	"os"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

// startDevice opens the UAPI socket <socketDir>/<ifname>.sock, before
// anything can be configured, and brings up a device on tdev, its UDP
// sockets from the broker at udpBroker when given; undo closes both.
func startDevice(tdev tun.Device, ifname, socketDir, udpBroker string, logger *device.Logger) (_ *device.Device, uapi *os.File, undo func(), err error) {
	ipc.SetSocketDirectory(socketDir)
	uapi, err = ipc.UAPIOpen(ifname)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("UAPI listen error: %v", err)
	}
	// Up before configuring: the TUN reports its link up at once and its
	// listener would bring the device up concurrently, and a ListenPort in
	// use would then be lost to a random port. Up first, listen_port is
	// bound by IpcSet, which fails if it cannot.
	if udpBroker != "" {
		conn.ListenUDP = udpFromBroker(udpBroker, logger.Errorf)
	}
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), logger)
	undo = func() {
		dev.Close()
		uapi.Close()
	}
	if err := dev.Up(); err != nil {
		undo()
		return nil, nil, nil, fmt.Errorf("failed to bring the device up: %v", err)
	}
	return dev, uapi, undo, nil
}
