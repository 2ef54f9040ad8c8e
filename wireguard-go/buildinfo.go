/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: what this binary was built from, for "wireguard-go
 * --version": build.sh sets both with -ldflags -X. upstreamModule is the
 * upstream module version go.mod pins (checked against go.sum); patchHash
 * names our change to it, the first 12 hex digits of the sha256 of
 * ../wireguard-go.patch followed by this folder's non-test *.go files in
 * byte order ("build.sh --patch-hash" prints it). Copied into the patched
 * wireguard-go tree at build time.
 */

package main

var (
	upstreamModule = "an unknown upstream"
	patchHash      = "unknown"
)
