// The Kubernetes and kine versions test/env/kubernetes.sh builds for the
// Kubernetes integration test. Not a real module: kubernetes.sh only
// downloads these through the Go module proxy, checked against go.sum.
// k8s.io/kubernetes's module has no staging/ folder: every module its
// go.mod replaces with ./staging/src/k8s.io/NAME is pinned here at the
// matching v0.x version and put in that folder (except the two the proxy
// refuses at this version, which nothing built imports; kubernetes.sh
// writes a one-line go.mod for each). kine is built from its own copy, with
// its go.mod and go.sum. Change a version here and in go.sum (go mod
// download -json MOD@VER prints Sum and GoModSum) to move the pin.
module wireguard4netns.test/kubernetes-pin

go 1.24

require (
	github.com/k3s-io/kine v0.17.5
	k8s.io/api v0.34.4
	k8s.io/apiextensions-apiserver v0.34.4
	k8s.io/apimachinery v0.34.4
	k8s.io/apiserver v0.34.4
	k8s.io/cli-runtime v0.34.4
	k8s.io/client-go v0.34.4
	k8s.io/cloud-provider v0.34.4
	k8s.io/cluster-bootstrap v0.34.4
	k8s.io/code-generator v0.34.4
	k8s.io/component-base v0.34.4
	k8s.io/component-helpers v0.34.4
	k8s.io/controller-manager v0.34.4
	k8s.io/cri-api v0.34.4
	k8s.io/cri-client v0.34.4
	k8s.io/csi-translation-lib v0.34.4
	k8s.io/dynamic-resource-allocation v0.34.4
	k8s.io/endpointslice v0.34.4
	k8s.io/externaljwt v0.34.4
	k8s.io/kms v0.34.4
	k8s.io/kube-aggregator v0.34.4
	k8s.io/kube-controller-manager v0.34.4
	k8s.io/kube-proxy v0.34.4
	k8s.io/kube-scheduler v0.34.4
	k8s.io/kubectl v0.34.4
	k8s.io/kubelet v0.34.4
	k8s.io/kubernetes v1.34.4
	k8s.io/metrics v0.34.4
	k8s.io/mount-utils v0.34.4
	k8s.io/pod-security-admission v0.34.4
	k8s.io/sample-apiserver v0.34.4
)
