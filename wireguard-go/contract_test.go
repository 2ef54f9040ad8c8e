/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: what our Go and our TypeScript must agree on, pinned by
 * the fixtures in test/fixtures/contract, which test/unit/contract.test.ts
 * reads too: a change on one side fails the other's test. Not upstream
 * source: copied into the patched wireguard-go tree at build time, where
 * test.sh sets WIREGUARD4NETNS_CONTRACT_DIR.
 */

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"

	"golang.zx2c4.com/wireguard/device"
)

// readContract decodes the fixture name into v, and fails without one.
func readContract(t *testing.T, name string, v any) {
	t.Helper()
	dir := os.Getenv("WIREGUARD4NETNS_CONTRACT_DIR")
	if dir == "" {
		dir = "../../test/fixtures/contract" // from dist/wireguard-go-src
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatalf("the contract fixture: %v", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func TestContractRuntimeBase(t *testing.T) {
	var c struct {
		Bases []struct {
			Name, Override, Passwd, Base string
			UID                          int
			Dirs                         []string
		}
		UIDMaps []struct {
			Name, UIDMap string
			ID, Host     int
		}
		TunnelDirs []struct {
			Base, Iface, Dir string
			NetnsInode       uint64
		}
	}
	readContract(t, "runtime-base.json", &c)
	if len(c.Bases) == 0 || len(c.UIDMaps) == 0 || len(c.TunnelDirs) == 0 {
		t.Fatal("runtime-base.json: no cases")
	}
	for _, b := range c.Bases {
		got := runtimeBaseOf(b.Override, b.UID, func(dir string) bool { return slices.Contains(b.Dirs, dir) }, func() string { return b.Passwd })
		if got != b.Base {
			t.Errorf("%s: runtimeBaseOf = %q, want %q", b.Name, got, b.Base)
		}
	}
	for _, m := range c.UIDMaps {
		if got := mapToParent(m.ID, m.UIDMap); got != m.Host {
			t.Errorf("%s: mapToParent(%d) = %d, want %d", m.Name, m.ID, got, m.Host)
		}
	}
	for _, d := range c.TunnelDirs {
		if got := tunnelDir(d.Base, d.NetnsInode, d.Iface); got != d.Dir {
			t.Errorf("tunnelDir = %q, want %q", got, d.Dir)
		}
	}
}

func TestContractDaemonPid(t *testing.T) {
	var c struct {
		Cases []struct {
			Name, Stat, Cmdline string
			Daemon              bool
		}
	}
	readContract(t, "daemon-pid.json", &c)
	if len(c.Cases) == 0 {
		t.Fatal("daemon-pid.json: no cases")
	}
	for _, p := range c.Cases {
		if got := isDaemonProc(p.Stat, p.Cmdline); got != p.Daemon {
			t.Errorf("%s: isDaemonProc = %v, want %v", p.Name, got, p.Daemon)
		}
	}
}

func TestContractFlagsLine(t *testing.T) {
	type parsed struct {
		MTU                          int
		Addresses, Routes, Reresolve []string
		Verbose                      bool
		State, Identity              string
	}
	var c struct {
		Cases []struct {
			Name   string
			Line   json.RawMessage
			Parsed parsed
		}
	}
	readContract(t, "flags-line.json", &c)
	if len(c.Cases) == 0 {
		t.Fatal("flags-line.json: no cases")
	}
	for _, f := range c.Cases {
		late := lateOptions{mtu: device.DefaultMTU}
		if err := lateFlags(string(f.Line), late.define); err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		got := parsed{MTU: late.mtu, Verbose: late.verbose, State: late.state, Identity: late.identity,
			Addresses: []string{}, Routes: []string{}, Reresolve: []string{}}
		for _, a := range late.addresses {
			got.Addresses = append(got.Addresses, a.String())
		}
		for _, r := range late.routes {
			got.Routes = append(got.Routes, r.String())
		}
		for _, r := range late.reresolve {
			got.Reresolve = append(got.Reresolve, r.publicKey+"="+net.JoinHostPort(r.host, strconv.Itoa(int(r.port))))
		}
		if !reflect.DeepEqual(got, f.Parsed) {
			t.Errorf("%s: parsed %+v, want %+v", f.Name, got, f.Parsed)
		}
	}
	// The daemon's own command line takes the same flags.
	main := flag.NewFlagSet("", flag.ContinueOnError)
	(&lateOptions{}).define(main)
	for _, name := range []string{"mtu", "address", "route", "reresolve", "verbose", "state", "identity"} {
		if main.Lookup(name) == nil {
			t.Errorf("lateOptions.define has no -%s", name)
		}
	}
}

func TestContractReports(t *testing.T) {
	var c struct {
		Cases []struct {
			Line   string
			Report struct {
				Kind, Phases, PublicKeyHex, Message string
				SameConfig                          bool
			}
		}
	}
	readContract(t, "reports.json", &c)
	if len(c.Cases) == 0 {
		t.Fatal("reports.json: no cases")
	}
	for _, r := range c.Cases {
		var got string
		switch r.Report.Kind {
		case "owner":
			got = reportOwner
		case "ready":
			got = reportReady(r.Report.Phases)
		case "joined":
			got = reportJoined(r.Report.SameConfig)
		case "self-peer":
			got = reportOf(fmt.Errorf("wrapped: %w", selfPeer(r.Report.PublicKeyHex)))
		case "error":
			got = reportOf(errors.New(r.Report.Message))
		default:
			t.Errorf("reports.json: a report of kind %q", r.Report.Kind)
		}
		if got != r.Line {
			t.Errorf("the daemon reports %q, want %q", got, r.Line)
		}
	}
}

func TestContractHookDaemonEnv(t *testing.T) {
	var c struct {
		Env   string
		Cases []struct {
			Value  string
			Daemon struct {
				Pid, ReportFd, ConfigFd int
				Dir                     string
			}
		}
	}
	readContract(t, "hook-daemon-env.json", &c)
	if len(c.Cases) == 0 || c.Env != hookDaemonEnv {
		t.Fatalf("hook-daemon-env.json: env %q, want %q, and cases", c.Env, hookDaemonEnv)
	}
	for _, e := range c.Cases {
		d := e.Daemon
		got := hookDaemonLine(earlyDaemon{pid: d.Pid, dir: d.Dir, reports: d.ReportFd, config: d.ConfigFd})
		if want := c.Env + "=" + e.Value; got != want {
			t.Errorf("hookDaemonLine = %q, want %q", got, want)
		}
	}
}

func TestContractIdentity(t *testing.T) {
	var c struct {
		PrivateKeyHex string
		Cases         []struct{ Input, Identity string }
	}
	readContract(t, "identity.json", &c)
	if len(c.Cases) == 0 {
		t.Fatal("identity.json: no cases")
	}
	for _, i := range c.Cases {
		if got, err := identityOf("private_key="+c.PrivateKeyHex+"\nlisten_port=0\n", i.Input); err != nil || got != i.Identity {
			t.Errorf("identityOf(%s) = %q, %v, want %q", i.Input, got, err, i.Identity)
		}
	}
}

func TestContractLauncher(t *testing.T) {
	var c struct {
		Iface      string
		VerdictEnv string
		Cases      []struct {
			Name   string
			State  ociState
			Launch bool
		}
	}
	readContract(t, "launcher.json", &c)
	if len(c.Cases) == 0 || c.Iface != hookInterface || c.VerdictEnv != hookVerdictEnv {
		t.Fatalf("launcher.json: iface %q and verdictEnv %q, want %q and %q, and cases", c.Iface, c.VerdictEnv, hookInterface, hookVerdictEnv)
	}
	for _, l := range c.Cases {
		if got := earlyTarget(l.State) != 0; got != l.Launch {
			t.Errorf("%s: the launcher starts a daemon: %v, want %v", l.Name, got, l.Launch)
		}
	}
}
