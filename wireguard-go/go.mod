// The pin of upstream wireguard-go (release 0.0.20250522, as the Go module
// proxy names it). go.sum checks the module's content; build.sh copies it,
// adds the *.go files of this folder, applies ../wireguard-go.patch and
// builds ../dist/wireguard-go. Nothing of upstream is committed here.
module wireguard4netns/wireguard-go

go 1.23

require golang.zx2c4.com/wireguard v0.0.0-20260522210424-ecfc5a8d5446
