#!/usr/bin/env bash
# A/B of process starts on the hook's path, alternated round by round:
# what each command takes from its spawn to its exit, in a clean
# environment, with a createRuntime-shaped OCI state on stdin that asks
# for no tunnel (so the hook starts no daemon and touches nothing).
#
#   bench/ab-spawn.sh ROUNDS
#
# The rows: /bin/true (the cost of any process start here), an empty Go
# program (the Go runtime's start; built here, with wireguard-go's flags),
# our wireguard-go that does nothing (--version), the hook's launcher exec'ing
# /bin/true, `node -e 0`, Node on the hook's loader, and the launcher
# exec'ing Node on the loader (the installed hook's command). The
# differences between rows are what each part adds; the timer's own cost
# is in every row alike. Prints medians and minima in ms.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 1 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
rounds=$1
node=$(command -v node)
wg=$root/dist/wireguard-go
loader=$root/dist/wireguard4netns-hook
state='{"ociVersion":"1.0.2","id":"ab-spawn","status":"creating","pid":1,"bundle":"/","annotations":{}}'
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/times
printf 'package main\n\nfunc main() {}\n' >"$tmp/empty.go"
(cd "$tmp" && CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o empty empty.go)
rows=(
  "/bin/true"
  "$tmp/empty"
  "$wg --version"
  "$wg wireguard4netns-hook /bin/true"
  "$node -e 0"
  "$node $loader"
  "$wg wireguard4netns-hook $node $loader"
)
names=("true" "an empty Go program" "wireguard-go --version" "launcher, exec true" "node -e 0" "node on the loader" "launcher, exec node on the loader")
for ((r = 1; r <= rounds; r++)); do
  line=""
  for cmd in "${rows[@]}"; do
    t0=$(date +%s%N)
    # shellcheck disable=SC2086 # each row is a command line
    env -i PATH=/usr/bin:/bin $cmd <<<"$state" >/dev/null 2>&1 || true
    t1=$(date +%s%N)
    line+="$(((t1 - t0) / 1000)) "
  done
  echo "$line" >>"$out"
done
for i in "${!rows[@]}"; do
  cut -d' ' -f$((i + 1)) "$out" | sort -n | awk -v name="${names[$i]}" '{v[NR] = $1} END {printf "%-36s median %7.2f ms  min %7.2f ms\n", name, v[int((NR + 1) / 2)] / 1000, v[1] / 1000}'
done
