/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of identity.go. Copied into the patched wireguard-go
 * tree at build time, as identity.go is.
 */

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A second claim of a held identity is refused, naming the holder's tunnel
// folder (flock is per open file, so a second claim in this process is
// refused as another daemon's would be); released, the folder is gone and
// the identity free again; one a killed holder left goes with the sweep.
func TestClaimIdentity(t *testing.T) {
	base := t.TempDir()
	lock := filepath.Join(base, "identity-ab12")
	release, err := claimIdentity(lock, "/run/x/1-wg0")
	if err != nil {
		t.Fatal(err)
	}
	_, err = claimIdentity(lock, "/run/x/2-wg0")
	if err == nil || !strings.Contains(err.Error(), "already serves the tunnel in /run/x/1-wg0;") {
		t.Fatalf("claim of a held identity: %v", err)
	}
	release()
	if exists(lock) {
		t.Errorf("release left %s", lock)
	}
	if release, err = claimIdentity(lock, "/run/x/2-wg0"); err != nil {
		t.Fatalf("claim after release: %v", err)
	}
	release()

	os.Mkdir(lock, 0o700)
	holder := startChild(t, lock)
	holder.kill()
	holder.cmd.Wait()
	if got := sweep(base); len(got) != 1 || got[0] != lock {
		t.Errorf("sweep after the holder died = %v, want [%s]", got, lock)
	}
}

// The same vector as test/unit/tunnel/identity.test.ts: the hook's daemon
// and the command line must compute the same configIdentity.
func TestIdentityOf(t *testing.T) {
	const private = "90cb54dcb03f0133c71f141e308b2767c4e47b910f1cfce6ff57b5576cdaa16b"
	const public = "5481e59b264030789f7c82cee2b97ab53d5fb5e1e314de50bc5314c78b189239"
	const input = `{"addresses":["198.51.100.2/32"]}`
	config := "private_key=" + private + "\nlisten_port=0\npublic_key=" + strings.Repeat("ab", 32) + "\n"
	id, err := identityOf(config, input)
	if err != nil || id != "92ba4c97001679d348546ebb3d1fa263" {
		t.Fatalf("identityOf = %q, %v", id, err)
	}
	if _, err := identityOf(config+"public_key="+public+"\n", input); err == nil || err.Error() != "self-peer "+public {
		t.Fatalf("a peer with our own key: %v, expected self-peer %s", err, public)
	}
	if _, err := identityOf("listen_port=0\n", input); err == nil {
		t.Fatal("no private_key: expected an error")
	}
}

// A self-peer is reported as such; anything else as an error.
func TestReportOf(t *testing.T) {
	if got := reportOf(selfPeer("ab")); got != "self-peer ab" {
		t.Errorf("reportOf(selfPeer) = %q", got)
	}
	if got := reportOf(errors.New("no private_key")); got != "error: no private_key" {
		t.Errorf("reportOf(error) = %q", got)
	}
}
