/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: one tunnel per WireGuard identity. A config is one
 * private key: two namespaces running it at once would make the peer see
 * one client roaming between two endpoints, and each would lose packets to
 * the other. A daemon started with -identity-lock holds that folder's lock
 * (folder.go) for life, beside its tunnel folder's, and writes its tunnel
 * folder's path into it; another daemon with the same identity is refused
 * and told which tunnel has it. Copied into the patched wireguard-go tree
 * at build time.
 */

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

const holderFile = "holder"

// claimIdentity takes the identity folder's lock for the tunnel folder dir,
// and returns its release, which removes the folder while still holding
// the lock. A live holder's tunnel folder is named in the error.
func claimIdentity(lockDir, dir string) (func(), error) {
	lock, err := claim(lockDir)
	if errors.Is(err, errBusy) {
		holder, _ := os.ReadFile(filepath.Join(lockDir, holderFile))
		return nil, fmt.Errorf("this config's key already serves the tunnel in %s; one WireGuard identity serves one network namespace at a time", strings.TrimSpace(string(holder)))
	}
	if err != nil {
		return nil, fmt.Errorf("failed to take the identity lock %s: %v", lockDir, err)
	}
	if err := os.WriteFile(filepath.Join(lockDir, holderFile), []byte(dir+"\n"), 0o600); err != nil {
		os.RemoveAll(lockDir)
		lock.Close()
		return nil, fmt.Errorf("failed to write %s: %v", lockDir, err)
	}
	return func() {
		os.RemoveAll(lockDir)
		lock.Close()
	}, nil
}
