#!/usr/bin/env bash
# Run as root after a build: copies what the hook, the command line and the
# Python module run into $WG4NS_TEST_DIR/install (default
# /var/lib/wireguard4netns-test/install), readable by every user, as a
# global npm install would leave them. The tests and the demo run the
# copy, as their users, so the checkout itself may be anywhere, /root
# (mode 0700) included. Prints the folder.
set -euo pipefail
cd "$(dirname "$0")/../.."
TEST_DIR=${WG4NS_TEST_DIR:-/var/lib/wireguard4netns-test}
INSTALL=$TEST_DIR/install
die() { printf 'stage: %s\n' "$*" >&2; exit 1; }

FILES=(dist/wireguard4netns dist/wireguard4netns-hook dist/wireguard4netns-hook.js dist/wireguard4netns-netavark
  dist/wireguard-go python/wireguard4netns/__init__.py test/env/tier3.py test/env/tier3-helper.sh)
for f in "${FILES[@]}"; do
  [ -f "$f" ] || die "$PWD/$f is missing: run \"npm run build\" first"
done

mkdir -p "$TEST_DIR"
chmod 0755 "$TEST_DIR"
rm -rf "$INSTALL.new"
mkdir -m 0755 "$INSTALL.new"
cp --parents -p "${FILES[@]}" "$INSTALL.new/"
chown -R root:root "$INSTALL.new"
chmod -R u=rwX,go=rX "$INSTALL.new"
rm -rf "$INSTALL.old"
[ -e "$INSTALL" ] && mv "$INSTALL" "$INSTALL.old"
mv "$INSTALL.new" "$INSTALL"
rm -rf "$INSTALL.old"
echo "$INSTALL"
