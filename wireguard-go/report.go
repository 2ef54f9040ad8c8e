/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's reports to its caller, a line each on its
 * ready pipe (fd 3): "owner" once it holds the tunnel folder, then one line
 * that ends its setup: "ready PHASES", "joined", "joined other",
 * "self-peer HEX" or "error: why" (src/tunnel/daemon.ts parseReport;
 * test/fixtures/contract/reports.json). Copied into the patched
 * wireguard-go tree at build time.
 */

package main

import (
	"errors"
	"fmt"
	"os"
)

// reporter writes the report lines; it is closed after the last.
type reporter struct{ f *os.File }

func (r reporter) say(line string) { fmt.Fprintln(r.f, line) }

// end says the line that ends the setup and returns code, the exit code.
func (r reporter) end(line string, code int) int {
	r.say(line)
	r.f.Close()
	return code
}

// refuse ends the setup with err.
func (r reporter) refuse(err error) int { return r.end(reportOf(err), 1) }

const reportOwner = "owner"

// reportReady says the tunnel is up, and where its setup time went.
func reportReady(phases string) string { return "ready " + phases }

// reportJoined says another start serves the tunnel, with this config or another.
func reportJoined(sameConfig bool) string {
	if sameConfig {
		return "joined"
	}
	return "joined other"
}

// selfPeer is a peer with this end's own public key (hex). Its report,
// "self-peer HEX", is a line of its own: the caller names that peer's line
// of the config.
type selfPeer string

func (s selfPeer) Error() string { return "self-peer " + string(s) }

// reportOf is the line that reports err: "self-peer HEX", or "error: why".
func reportOf(err error) string {
	var self selfPeer
	if errors.As(err, &self) {
		return self.Error()
	}
	return "error: " + err.Error()
}
