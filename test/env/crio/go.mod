// The CRI-O and crictl versions test/env/crio.sh builds for the CRI-O
// integration test. Not a real module: crio.sh only downloads these two
// through the Go module proxy, checked against go.sum, and builds each from
// a copy with its own go.mod and go.sum. Change a version here and in
// go.sum (go mod download -json MOD@VER prints Sum and GoModSum) to move
// the pin; crio.sh then rebuilds.
module wireguard4netns.test/crio-pin

go 1.24

require (
	github.com/cri-o/cri-o v1.34.0
	sigs.k8s.io/cri-tools v1.34.0
)
