/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: a start that found its tunnel folder served (claimFolder,
 * folder.go): it reports "joined", and with an identity on its flags line
 * whether the running tunnel has the same config. Copied into the patched
 * wireguard-go tree at build time.
 */

package main

import "fmt"

// join returns the report of a start that found the tunnel in dir served,
// and its exit code. With an identity, it reads the configuration from
// configFd to tell whether the running tunnel has the same.
func join(dir string, configFd int, flagsLine bool, late *lateOptions) (string, int) {
	if late.identity == "" && !flagsLine {
		return reportJoined(true), 0
	}
	config, err := readConfig(configFd, flagsLine, late.define)
	if err != nil {
		return reportOf(fmt.Errorf("failed to read the configuration: %w", err)), 1
	}
	if late.identity == "" {
		return reportJoined(true), 0
	}
	id, err := identityOf(config, late.identity)
	if err != nil {
		return reportOf(err), 1
	}
	return reportJoined(runningIdentity(dir) == id), 0
}
