#!/usr/bin/env bash
# npm run pack:all: every npm package of a release, as tarballs in dist/pack/
# (or DIR): for each platform in package.json's "prebuilt",
# @wireguard4netns/PLATFORM with bin/wireguard-go, built for that platform by
# ../build.sh (static and reproducible: the same inputs and Go give the same
# bytes); and wireguard4netns itself, whose packed manifest names them as
# optionalDependencies at its own version, which pins them exactly. The
# checkout's package.json does not: they are not published while it is
# developed, and "npm ci" refuses a lock file without them. Needs Go.
#   pack.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$root/dist/pack}")
node=${npm_node_execpath:-node}
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

platforms=$("$node" -e '
  const pkg = require(process.argv[1]);
  if (!Array.isArray(pkg.prebuilt) || pkg.prebuilt.some((p) => !/^linux-(x64|arm64)$/.test(p))) {
    console.error(`pack: package.json: "prebuilt": expected a list of linux-x64 and linux-arm64, got ${JSON.stringify(pkg.prebuilt)}`);
    process.exit(1);
  }
  console.log(pkg.prebuilt.join("\n"));' "$root/package.json")

mkdir -p "$out"
for platform in $platforms; do
  arch=${platform#linux-}
  dir=$root/dist/npm/$platform
  mkdir -p "$dir/bin"
  GOOS=linux GOARCH=${arch/x64/amd64} GOAMD64=v1 GOARM64=v8.0 GO=$go bash "$root/wireguard-go/build.sh" "$dir/bin/wireguard-go"
  upstream=$(sed -n 's/^const Version = "\(.*\)"$/\1/p' "$root/dist/wireguard-go-src/version.go")
  what="wireguard-go $upstream with the wireguard4netns patch $(bash "$root/wireguard-go/build.sh" --patch-hash), static for $platform, built with $("$go" env GOVERSION)"
  "$node" -e '
    const [main, platform, what, file] = process.argv.slice(1);
    const pkg = require(main);
    const out = {
      name: `@wireguard4netns/${platform}`,
      version: pkg.version,
      description: `${what}: the prebuilt wireguard-go of wireguard4netns`,
      license: pkg.license,
      repository: { ...pkg.repository, directory: "wireguard-go/npm" },
      os: ["linux"],
      cpu: [platform.replace(/^linux-/, "")],
      files: ["bin/wireguard-go"],
      preferUnplugged: true,
    };
    require("node:fs").writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  ' "$root/package.json" "$platform" "$what" "$dir/package.json"
  sed -e "s|@PLATFORM@|$platform|g" -e "s|@WHAT@|$what|g" "$here/README.md" > "$dir/README.md"
  cp "$root/LICENSE" "$dir/LICENSE"
  (cd "$dir" && npm pack --silent --pack-destination "$out" >/dev/null)
done
# The main package: packed as npm packs it (prepack builds the bundles), then
# its manifest given the platform packages, and packed again from that.
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
tarball=$(cd "$root" && npm pack --silent --pack-destination "$stage")
tar -xzf "$stage/$tarball" -C "$stage"
"$node" -e '
  const [file, platforms] = process.argv.slice(1);
  const fs = require("node:fs");
  const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
  pkg.optionalDependencies = Object.fromEntries(platforms.split("\n").sort().map((p) => [`@wireguard4netns/${p}`, pkg.version]));
  delete pkg.prebuilt;
  fs.writeFileSync(file, `${JSON.stringify(pkg, null, 2)}\n`);
' "$stage/package/package.json" "$platforms"
(cd "$stage/package" && npm pack --silent --ignore-scripts --pack-destination "$out" >/dev/null)
ls "$out"/*.tgz
