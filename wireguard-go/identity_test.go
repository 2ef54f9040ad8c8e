/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of identity.go. Copied into the patched wireguard-go
 * tree at build time, as identity.go is.
 */

package main

import (
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
