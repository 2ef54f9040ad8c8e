// Reading podman's hook JSON (oci-hooks(5), version 1.0.0) and deciding
// which hooks a container gets: the part of the plugin that needs no NRI
// connection, so hooks_test.go can check it alone.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Hook is one hook JSON file, as podman and CRI-O read it.
type Hook struct {
	Version string `json:"version"`
	Hook    struct {
		Path    string   `json:"path"`
		Args    []string `json:"args,omitempty"`
		Env     []string `json:"env,omitempty"`
		Timeout *int     `json:"timeout,omitempty"`
	} `json:"hook"`
	When   When     `json:"when"`
	Stages []string `json:"stages"`

	// The file it came from, for messages.
	file string
	// when.annotations and when.commands, compiled.
	annotations []annotationPattern
	commands    []*regexp.Regexp
}

// When says which containers get the hook: any one condition that holds is enough (1.0.0).
type When struct {
	Always        *bool             `json:"always,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	Commands      []string          `json:"commands,omitempty"`
	HasBindMounts *bool             `json:"hasBindMounts,omitempty"`
}

type annotationPattern struct{ key, value *regexp.Regexp }

// The OCI runtime-spec stages a hook JSON may name.
var stages = map[string]bool{
	"prestart": true, "createRuntime": true, "createContainer": true,
	"startContainer": true, "poststart": true, "poststop": true,
}

// parseHook reads one hook JSON; its errors name the property, as podman's do.
func parseHook(file string, data []byte) (*Hook, error) {
	var h Hook
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	h.file = file
	switch {
	case h.Version != "1.0.0":
		return nil, fmt.Errorf("%s: unknown version %q (expected 1.0.0)", file, h.Version)
	case h.Hook.Path == "":
		return nil, fmt.Errorf("%s: missing required property: hook.path", file)
	case !filepath.IsAbs(h.Hook.Path):
		return nil, fmt.Errorf("%s: hook.path: %q is not an absolute path", file, h.Hook.Path)
	case len(h.Stages) == 0:
		return nil, fmt.Errorf("%s: missing required property: stages", file)
	case h.When.Always == nil && h.When.HasBindMounts == nil && len(h.When.Annotations) == 0 && len(h.When.Commands) == 0:
		return nil, fmt.Errorf("%s: when: at least one condition is required", file)
	}
	for _, s := range h.Stages {
		if !stages[s] {
			return nil, fmt.Errorf("%s: stages: unknown stage %q", file, s)
		}
	}
	for k, v := range h.When.Annotations {
		key, err := regexp.Compile(k)
		if err != nil {
			return nil, fmt.Errorf("%s: when.annotations key %q: %w", file, k, err)
		}
		value, err := regexp.Compile(v)
		if err != nil {
			return nil, fmt.Errorf("%s: when.annotations[%q] value %q: %w", file, k, v, err)
		}
		h.annotations = append(h.annotations, annotationPattern{key, value})
	}
	for _, c := range h.When.Commands {
		re, err := regexp.Compile(c)
		if err != nil {
			return nil, fmt.Errorf("%s: when.commands %q: %w", file, c, err)
		}
		h.commands = append(h.commands, re)
	}
	return &h, nil
}

// readHooks reads every *.json in dirs, in the order podman uses: a file
// in a later dir masks one of the same name in an earlier dir, and the
// hooks are sorted by file name. A missing dir is empty; an unreadable or
// invalid file is an error (as in podman), not a hook silently left out.
func readHooks(dirs []string) ([]*Hook, error) {
	byName := map[string]*Hook{}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hooks dir: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
				continue
			}
			file := filepath.Join(dir, e.Name())
			data, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			h, err := parseHook(file, data)
			if err != nil {
				return nil, err
			}
			byName[e.Name()] = h
		}
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	hooks := make([]*Hook, 0, len(names))
	for _, n := range names {
		hooks = append(hooks, byName[n])
	}
	return hooks, nil
}

// Target is what the conditions look at in a container.
type Target struct {
	// The container's own annotations, and its pod's.
	Annotations, PodAnnotations map[string]string
	// The container's command line (process.args).
	Args []string
	// Whether the container has a bind mount.
	HasBindMounts bool
}

// Match tells whether the hook applies to t and whether that was through
// the pod's annotations only: then the container needs those annotations
// in its own OCI config, where the hook reads them (CRI-O copies a pod's
// annotations into each container; containerd does not).
func (h *Hook) Match(t Target) (match, viaPod bool) {
	if h.When.Always != nil && *h.When.Always {
		return true, false
	}
	if h.When.HasBindMounts != nil && *h.When.HasBindMounts && t.HasBindMounts {
		return true, false
	}
	if len(t.Args) > 0 {
		for _, re := range h.commands {
			if re.MatchString(t.Args[0]) {
				return true, false
			}
		}
	}
	// podman: each key pattern needs some annotation with a matching key
	// whose value matches too; any one such pattern is enough.
	matches := func(annotations map[string]string) bool {
		for _, p := range h.annotations {
			for k, v := range annotations {
				if p.key.MatchString(k) && p.value.MatchString(v) {
					return true
				}
			}
		}
		return false
	}
	if matches(t.Annotations) {
		return true, false
	}
	if matches(t.PodAnnotations) {
		return true, true
	}
	return false, false
}
