# Sourced by the test/env scripts (root): install_missing PKG... installs
# the Debian packages that are not installed yet, running "apt-get update"
# only then, and says which in one step line (the caller's step());
# require_go MIN fails (the caller's die()) unless Go >= MIN is on PATH.
install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    step "packages present"
    return
  fi
  step "installing packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# An older Go would fetch a newer toolchain, which it checks against
# sum.golang.org: not reachable here.
require_go() {
  command -v go >/dev/null || die "Go >= $1 is needed (https://go.dev/dl, or /usr/local/go)"
  local have
  have=$(go env GOVERSION | sed 's/^go//')
  [ "$(printf '%s\n' "$1" "$have" | sort -V | head -1)" = "$1" ] || die "Go >= $1 is needed, found $have"
}
