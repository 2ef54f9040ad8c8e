// wireguard4netns-nri: an NRI plugin that gives containerd (k3s,
// usernetes) the OCI hooks podman and CRI-O read from hooks dirs.
// containerd reads no hooks dirs; through NRI a plugin may add hooks to a
// container as it is created. This one reads podman's hook JSON
// (oci-hooks(5), 1.0.0: what `wireguard4netns install` writes) on every
// CreateContainer and adds the hooks whose `when` matches the container,
// its command or its pod's annotations, at the stages the JSON lists.
//
//	wireguard4netns-nri [-hooks-dir DIR]... [-socket PATH] [-idx NN]
//
// Run it beside containerd (it connects to containerd's NRI socket), or
// let containerd start it: copy it to NRI's plugin_path as
// NN-wireguard4netns (NN: its index, two digits).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
)

// plugin handles CreateContainer only.
type plugin struct {
	hooksDirs []string
}

// CreateContainer adds the matching hooks, and with a hook matched through
// the pod's annotations, the pod's annotations the container lacks.
func (p *plugin) CreateContainer(_ context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	name := ctr.Name
	if pod != nil {
		name = pod.Namespace + "/" + pod.Name + "/" + ctr.Name
	}
	// Read on every call: an install or removal counts from the next container on.
	hooks, err := readHooks(p.hooksDirs)
	if err != nil {
		// Fail the container rather than start it without a hook it may need.
		log.Printf("%s: %v", name, err)
		return nil, nil, fmt.Errorf("wireguard4netns-nri: %w", err)
	}
	adjust, injected := adjustment(hooks, target(pod, ctr), podAnnotations(pod))
	if len(injected) == 0 {
		return nil, nil, nil
	}
	log.Printf("%s: hooks injected from %s", name, strings.Join(injected, ", "))
	return adjust, nil, nil
}

// adjustment builds the container's adjustment: the hooks that match t, in
// file order, and the pod's annotations the container lacks if a hook
// matched through them. injected names the hook files used.
func adjustment(hooks []*Hook, t Target, podAnnotations map[string]string) (*api.ContainerAdjustment, []string) {
	adjust := &api.ContainerAdjustment{}
	add := &api.Hooks{}
	var injected []string
	copyPod := false
	for _, h := range hooks {
		match, viaPod := h.Match(t)
		if !match {
			continue
		}
		copyPod = copyPod || viaPod
		injected = append(injected, h.file)
		hook := &api.Hook{Path: h.Hook.Path, Args: h.Hook.Args, Env: h.Hook.Env}
		if h.Hook.Timeout != nil {
			hook.Timeout = api.Int(h.Hook.Timeout)
		}
		for _, s := range h.Stages {
			switch s {
			case "prestart":
				add.Prestart = append(add.Prestart, hook)
			case "createRuntime":
				add.CreateRuntime = append(add.CreateRuntime, hook)
			case "createContainer":
				add.CreateContainer = append(add.CreateContainer, hook)
			case "startContainer":
				add.StartContainer = append(add.StartContainer, hook)
			case "poststart":
				add.Poststart = append(add.Poststart, hook)
			case "poststop":
				add.Poststop = append(add.Poststop, hook)
			}
		}
	}
	if len(injected) == 0 {
		return nil, nil
	}
	adjust.AddHooks(add)
	if copyPod {
		for k, v := range podAnnotations {
			// A leading "-" would mark a removal for NRI (no valid annotation key has one).
			if _, has := t.Annotations[k]; !has && !strings.HasPrefix(k, "-") {
				adjust.AddAnnotation(k, v)
			}
		}
	}
	return adjust, injected
}

// target is what the hook conditions look at in a container.
func target(pod *api.PodSandbox, ctr *api.Container) Target {
	t := Target{Annotations: ctr.Annotations, PodAnnotations: podAnnotations(pod), Args: ctr.Args}
	for _, m := range ctr.Mounts {
		for _, o := range m.Options {
			if o == "bind" || o == "rbind" {
				t.HasBindMounts = true
			}
		}
	}
	return t
}

func podAnnotations(pod *api.PodSandbox) map[string]string {
	if pod == nil {
		return nil
	}
	return pod.Annotations
}

// dirs is a repeatable -hooks-dir flag.
type dirs []string

func (d *dirs) String() string     { return strings.Join(*d, ",") }
func (d *dirs) Set(v string) error { *d = append(*d, v); return nil }

func main() {
	log.SetFlags(0)
	log.SetPrefix("wireguard4netns-nri: ")

	// ---------------------------------------------------------------- flags
	var hooksDirs dirs
	flag.Var(&hooksDirs, "hooks-dir", "directory of hook JSON files; repeat it: a later one masks same-named files of an earlier one\n(default: /usr/share/containers/oci/hooks.d, then /etc/containers/oci/hooks.d, as podman)")
	socket := flag.String("socket", api.DefaultSocketPath, "containerd's NRI socket (not used when containerd starts the plugin)")
	name := flag.String("name", "wireguard4netns", "plugin name to register with")
	idx := flag.String("idx", "50", "plugin index (two digits: the order among NRI plugins)")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected argument %q (see -h)", flag.Arg(0))
	}
	if len(hooksDirs) == 0 {
		hooksDirs = dirs{"/usr/share/containers/oci/hooks.d", "/etc/containers/oci/hooks.d"}
	}
	// Check the hook files once at start, so that a broken one shows now.
	if _, err := readHooks(hooksDirs); err != nil {
		log.Fatal(err)
	}

	// ---------------------------------------------------------------- register
	// Started by containerd (plugin_path), name, index and socket come from
	// its environment; otherwise from the flags.
	opts := []stub.Option{stub.WithSocketPath(*socket)}
	if os.Getenv(api.PluginIdxEnvVar) == "" {
		opts = append(opts, stub.WithPluginName(*name), stub.WithPluginIdx(*idx))
	}
	s, err := stub.New(&plugin{hooksDirs: hooksDirs}, opts...)
	if err != nil {
		log.Fatalf("NRI stub: %v", err)
	}
	log.Printf("hooks dirs: %s", hooksDirs.String())

	// ---------------------------------------------------------------- run
	// Returns when containerd closes the connection (it stops or restarts):
	// exit non-zero, so that a supervisor starts the plugin again.
	if err := s.Run(context.Background()); err != nil {
		log.Fatalf("NRI connection: %v", err)
	}
	log.Fatal("NRI connection closed")
}
