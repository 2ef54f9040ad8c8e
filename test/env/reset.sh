#!/usr/bin/env bash
# Run as root before the integration tests, so that every run is a first
# run: it removes what earlier runs left of the test user's (daemons, the
# tests' folder in its home, tunnel state, the hook's log and code cache),
# and copies this build where the test users can run it (stage.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
TEST_USER=${WG4NS_TEST_USER:-wg4ns}
die() { printf 'reset: %s\n' "$*" >&2; exit 1; }

uid=$(id -u "$TEST_USER" 2>/dev/null) || die "test user $TEST_USER is missing: run \"npm run setup\" first"
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
pkill -KILL -u "$uid" -f '^/\S*wireguard-go wireguard4netns' || true
rm -rf "$home/wg4ns-test" "/run/user/$uid/wireguard4netns" "/run/user/$uid/wireguard4netns.log" \
  "/run/user/$uid/wireguard4netns.log.1" "/run/user/$uid/wireguard4netns-hook.cache" "${TMPDIR:-/tmp}/wireguard4netns-$uid"

install=$(bash test/env/stage.sh)
runuser -u "$TEST_USER" -- test -r "$install/dist/wireguard4netns-hook.js" ||
  die "the test user $TEST_USER cannot read $install ($(namei -m "$install" | tail -n +2 | tr -s ' ' | paste -sd' '))"
echo "reset: no state left of $TEST_USER's; the build it runs is at $install"
