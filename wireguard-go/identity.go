/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: one tunnel per WireGuard identity. A config is one
 * private key: two namespaces running it at once would make the peer see
 * one client roaming between two endpoints, and each would lose packets to
 * the other. A daemon started with -identity-lock holds that folder's lock
 * (folder.go) for life, beside its tunnel folder's, and writes its tunnel
 * folder's path into it; another daemon with the same identity is refused
 * and told which tunnel has it. Copied into the patched wireguard-go tree
 * at build time. Also where a config's identity is computed from its
 * private key (identityOf), so that the hook needs no crypto of its own.
 */

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/crypto/curve25519"
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

// identityOf derives the public key from the UAPI configuration's
// private_key and returns the config's identity: the first 16 bytes of
// SHA-256 over "PUBLICKEYHEX\n" and input, in hex (src/tunnel/identity.ts
// computes the same; test/fixtures/contract/identity.json). A peer with
// this end's own public key is refused with "self-peer PUBLICKEYHEX": the
// caller knows that peer's line.
func identityOf(uapiConfig, input string) (string, error) {
	var private []byte
	for _, line := range strings.Split(uapiConfig, "\n") {
		if hexKey, ok := strings.CutPrefix(line, "private_key="); ok {
			private, _ = hex.DecodeString(hexKey)
		}
	}
	if len(private) != curve25519.ScalarSize {
		return "", errors.New("the configuration has no private_key")
	}
	public, err := curve25519.X25519(private, curve25519.Basepoint)
	if err != nil {
		return "", err
	}
	publicHex := hex.EncodeToString(public)
	for _, line := range strings.Split(uapiConfig, "\n") {
		if line == "public_key="+publicHex {
			return "", selfPeer(publicHex)
		}
	}
	sum := sha256.Sum256([]byte(publicHex + "\n" + input))
	return hex.EncodeToString(sum[:16]), nil
}

// runningIdentity is the configIdentity of the tunnel whose state.json is in dir.
func runningIdentity(dir string) string {
	var state struct {
		ConfigIdentity string `json:"configIdentity"`
	}
	data, _ := os.ReadFile(filepath.Join(dir, stateFile))
	json.Unmarshal(data, &state)
	return state.ConfigIdentity
}
