#!/usr/bin/env bash
# npm run pack:all: every npm package of a release, as tarballs in dist/pack/
# (or DIR): wireguard4netns itself and, for each of its optionalDependencies,
# @wireguard4netns/PLATFORM with bin/wireguard-go, built for that platform by
# ../build.sh (static and reproducible: the same inputs and Go give the same
# bytes). The platform packages carry the main package's version, which pins
# them exactly. Needs Go.
#   pack.sh [DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-$root/dist/pack}")
node=${npm_node_execpath:-node}
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}

# The platforms, from the optionalDependencies, which must pin this very version.
platforms=$("$node" -e '
  const pkg = require(process.argv[1]);
  for (const [name, version] of Object.entries(pkg.optionalDependencies ?? {})) {
    if (version !== pkg.version) {
      console.error(`pack: package.json: optionalDependencies["${name}"] is ${version}, expected ${pkg.version}: the platform packages are released with the main one`);
      process.exit(1);
    }
    console.log(name.replace(/^@wireguard4netns\//, ""));
  }' "$root/package.json")

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
(cd "$root" && npm pack --silent --pack-destination "$out" >/dev/null)
ls "$out"/*.tgz
