/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the commands of ours that the patched wireguard-go
 * runs (main.go asks here first). Not upstream source: copied into the
 * patched wireguard-go tree at build time.
 */

package main

// wireguard4netnsCommand runs `wireguard-go wireguard4netns[-WHAT] ...`,
// and says whether args named one of ours.
func wireguard4netnsCommand(args []string) (int, bool) {
	if len(args) == 0 {
		return 0, false
	}
	commands := map[string]func([]string) int{
		"wireguard4netns":            wireguard4netnsMain,
		"wireguard4netns-hook":       hookMain,
		"wireguard4netns-sweep":      sweepMain,
		"wireguard4netns-link":       relinkMain,
		"wireguard4netns-udp-broker": udpBrokerMain,
	}
	run, ok := commands[args[0]]
	if !ok {
		return 0, false
	}
	return run(args[1:]), true
}
