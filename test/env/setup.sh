#!/usr/bin/env bash
# Everything "npm test" and "npm run demo" need on a fresh Debian 12 machine,
# as root: system packages and the rootless podman test user
# (provision.sh), the npm packages, the build (Go modules through the
# module proxy), and a copy of it that every user can run (stage.sh).
# Quick when all is there already.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null || { echo "setup: Go >= 1.23 is needed to build wireguard-go (https://go.dev/dl, or /usr/local/go)" >&2; exit 1; }
bash test/env/provision.sh
npm install --no-audit --no-fund --loglevel=error
npm run --silent build
bash test/env/stage.sh >/dev/null
