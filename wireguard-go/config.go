/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's config stage. The caller writes the
 * configuration down a pipe while the TUN and the device are made: with
 * -config-flags, a first line of flags that come from the config
 * (lateOptions), then the device's UAPI configuration. Keys travel only
 * there and through the UAPI socket. Copied into the patched wireguard-go
 * tree at build time.
 */

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// readLateConfig reads the configuration from fd, with its flags line into
// late when flagsLine, and gives the TUN in ns an MTU that line changed.
func readLateConfig(fd int, flagsLine bool, late *lateOptions, ns *os.File, ifname string) (string, error) {
	tunMTU := late.mtu
	config, err := readConfig(fd, flagsLine, late.define)
	if err == nil && late.mtu != tunMTU {
		err = inNetns(ns, func() error { return setMTU(ifname, late.mtu) })
	}
	if err != nil {
		return "", fmt.Errorf("failed to read the configuration: %v", err)
	}
	return config, nil
}

// applyConfig configures dev, and returns the config's identity (with
// identityInput, identity.go).
func applyConfig(dev *device.Device, config, identityInput string) (identity string, err error) {
	if identityInput != "" {
		if identity, err = identityOf(config, identityInput); err != nil {
			return "", err
		}
	}
	if err := dev.IpcSet(config); err != nil {
		return "", configError(err)
	}
	return identity, nil
}

// readConfig reads the UAPI configuration from fd up to EOF (at most 1 MiB).
// It must end with a blank line, as a UAPI request does: a caller killed
// while writing it leaves it cut short, and a part is never applied. With
// flagsLine, its first line is a JSON array of flags, parsed with define.
func readConfig(fd int, flagsLine bool, define func(*flag.FlagSet)) (string, error) {
	if fd < 0 {
		return "", nil
	}
	f := os.NewFile(uintptr(fd), "config")
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err == nil && !strings.HasSuffix(string(b), "\n\n") {
		err = errors.New("it ended before its closing blank line")
	}
	if err != nil || !flagsLine {
		return strings.TrimSpace(string(b)), err
	}
	line, rest, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(rest), lateFlags(line, define)
}

// lateFlags parses line, a JSON array, as flags: only those define knows.
func lateFlags(line string, define func(*flag.FlagSet)) error {
	var args []string
	if err := json.Unmarshal([]byte(line), &args); err != nil {
		return fmt.Errorf("its flags line: expected a JSON array of strings: %v", err)
	}
	set := flag.NewFlagSet("flags line", flag.ContinueOnError)
	set.SetOutput(io.Discard)
	define(set)
	if err := set.Parse(args); err != nil {
		return fmt.Errorf("its flags line: %v", err)
	}
	if set.NArg() > 0 {
		// Not quoted: the line carries the identity input, preshared keys included.
		return fmt.Errorf("its flags line: %d arguments that are no flags", set.NArg())
	}
	return nil
}

// lateOptions are the flags that may come on the config's first line
// (-config-flags): what the caller learns from the config
// (src/tunnel/daemon.ts lateFlags; test/fixtures/contract/flags-line.json).
type lateOptions struct {
	mtu               int
	addresses, routes prefixFlag
	state             string
	reresolve         reresolveFlag
	identity          string
	verbose           bool
}

// define adds the late flags to set, their current values as defaults.
func (o *lateOptions) define(set *flag.FlagSet) {
	set.IntVar(&o.mtu, "mtu", o.mtu, "MTU of the TUN interface")
	set.Var(&o.addresses, "address", "CIDR: an address of the interface (repeatable)")
	set.Var(&o.routes, "route", "CIDR: a route through the interface (repeatable)")
	set.StringVar(&o.state, "state", o.state, "JSON object written to <dir>/state.json, with daemonPid added, once ready")
	set.Var(&o.reresolve, "reresolve", "PUBKEYHEX=HOST:PORT: re-resolve this peer's endpoint host (repeatable)")
	set.StringVar(&o.identity, "identity", o.identity, "the config's identity without its public key (canonical JSON): state.json's configIdentity is its digest with the public key")
	set.BoolVar(&o.verbose, "verbose", o.verbose, "log every packet-level event")
}

// configError says what went wrong applying the configuration, in words
// a user of the config file knows.
func configError(err error) error {
	var op *net.OpError
	if errors.Is(err, unix.EADDRINUSE) && errors.As(err, &op) {
		return fmt.Errorf("ListenPort is in use (%v)", op)
	}
	return fmt.Errorf("failed to apply the configuration: %w", err)
}
