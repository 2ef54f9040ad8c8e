#!/usr/bin/env bash
# Run as root: checks that the test user can read this checkout, which
# every hook run as that user loads. Says in one line what stops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
TEST_USER=${WG4NS_TEST_USER:-wg4ns}
die() { printf 'readable: %s\n' "$*" >&2; exit 1; }

# Every folder from / down to the checkout must let the user through.
path=
for part in $(pwd | tr '/' ' '); do
  path=$path/$part
  runuser -u "$TEST_USER" -- test -x "$path" ||
    die "the test user $TEST_USER cannot enter $path ($(stat -c '%A %U:%G' "$path")), so its hooks cannot load this checkout; clone it where every user can read it (e.g. /srv or /tmp), or chmod o+x $path"
done
for f in dist/wireguard4netns dist/wireguard4netns-hook dist/wireguard4netns-hook.js dist/wireguard-go; do
  runuser -u "$TEST_USER" -- test -r "$f" || die "the test user $TEST_USER cannot read $PWD/$f; run \"npm run build\" (and keep the checkout readable by every user)"
done
