package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The project's own hook JSON (what `wireguard4netns install` writes, with other paths).
var productHooks = []string{"../oci-hooks.d/wireguard4netns.json"}

// A second hook file at another stage, matched by the same annotation: a directory may hold others' hooks too.
const poststopHook = `{"version":"1.0.0","hook":{"path":"/opt/other/sweep"},"when":{"annotations":{"^wireguard4netns\\.conf$":".+"}},"stages":["poststop"]}`

func mustParse(t *testing.T, text string) *Hook {
	t.Helper()
	h, err := parseHook("test.json", []byte(text))
	if err != nil {
		t.Fatalf("parseHook: %v", err)
	}
	return h
}

func TestParseProductHooks(t *testing.T) {
	for _, file := range productHooks {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseHook(file, data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(h.Stages) != 1 || h.Hook.Timeout == nil || len(h.annotations) != 1 {
			t.Errorf("%s: parsed as %+v", file, h)
		}
	}
}

func TestParseErrorsNameTheProperty(t *testing.T) {
	cases := map[string]string{
		`{"version":"0.1.0","hook":{"path":"/x"},"when":{"always":true},"stages":["poststop"]}`:           `test.json: unknown version "0.1.0" (expected 1.0.0)`,
		`{"version":"1.0.0","hook":{},"when":{"always":true},"stages":["poststop"]}`:                      `test.json: missing required property: hook.path`,
		`{"version":"1.0.0","hook":{"path":"x"},"when":{"always":true},"stages":["poststop"]}`:            `test.json: hook.path: "x" is not an absolute path`,
		`{"version":"1.0.0","hook":{"path":"/x"},"when":{"always":true}}`:                                 `test.json: missing required property: stages`,
		`{"version":"1.0.0","hook":{"path":"/x"},"when":{},"stages":["poststop"]}`:                        `test.json: when: at least one condition is required`,
		`{"version":"1.0.0","hook":{"path":"/x"},"when":{"always":true},"stages":["prestop"]}`:            `test.json: stages: unknown stage "prestop"`,
		`{"version":"1.0.0","hook":{"path":"/x"},"when":{"annotations":{"(":"x"}},"stages":["poststop"]}`: `test.json: when.annotations key "(": error parsing regexp: missing closing ): ` + "`(`",
		`{"version":"1.0.0","hook":{"path":"/x"},"when":{"always":true},"stages":["poststop"],"x":1}`:     `test.json: json: unknown field "x"`,
	}
	for text, want := range cases {
		_, err := parseHook("test.json", []byte(text))
		if err == nil || err.Error() != want {
			t.Errorf("parseHook(%s):\n got %v\nwant %s", text, err, want)
		}
	}
}

func TestReadHooksMasksAndSorts(t *testing.T) {
	low, high := t.TempDir(), t.TempDir()
	write := func(dir, name, path string) {
		text := `{"version":"1.0.0","hook":{"path":"` + path + `"},"when":{"always":true},"stages":["poststop"]}`
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(low, "20-b.json", "/low/b")
	write(low, "10-a.json", "/low/a")
	write(high, "20-b.json", "/high/b")
	write(high, "README", "/not/json")
	hooks, err := readHooks([]string{low, filepath.Join(low, "missing"), high})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hooks {
		got = append(got, h.Hook.Path)
	}
	if strings.Join(got, " ") != "/low/a /high/b" {
		t.Errorf("hooks: %v, want /low/a /high/b (file order, the later dir masks)", got)
	}
	// An invalid file fails the whole read, naming the file.
	if err := os.WriteFile(filepath.Join(high, "30-bad.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readHooks([]string{low, high}); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(high, "30-bad.json")+": ") {
		t.Errorf("readHooks with a bad file: %v", err)
	}
}

func TestMatch(t *testing.T) {
	conf := mustParse(t, `{"version":"1.0.0","hook":{"path":"/h"},"when":{"annotations":{"^wireguard4netns\\.conf$":".+"}},"stages":["createRuntime"]}`)
	cmd := mustParse(t, `{"version":"1.0.0","hook":{"path":"/h"},"when":{"commands":["/sleep$"]},"stages":["createRuntime"]}`)
	never := mustParse(t, `{"version":"1.0.0","hook":{"path":"/h"},"when":{"always":false,"hasBindMounts":true},"stages":["createRuntime"]}`)
	annotated := map[string]string{"wireguard4netns.conf": "/etc/wireguard4netns/a.conf"}
	cases := []struct {
		name          string
		hook          *Hook
		target        Target
		match, viaPod bool
	}{
		{"container annotation", conf, Target{Annotations: annotated}, true, false},
		{"pod annotation only", conf, Target{Annotations: map[string]string{"x": "y"}, PodAnnotations: annotated}, true, true},
		{"both", conf, Target{Annotations: annotated, PodAnnotations: annotated}, true, false},
		{"empty value", conf, Target{PodAnnotations: map[string]string{"wireguard4netns.conf": ""}}, false, false},
		{"anchored key", conf, Target{Annotations: map[string]string{"xwireguard4netns.conf": "/a"}}, false, false},
		{"none", conf, Target{}, false, false},
		{"command", cmd, Target{Args: []string{"/bin/sleep", "1"}}, true, false},
		{"other command", cmd, Target{Args: []string{"/bin/sh"}}, false, false},
		{"always false, no bind mounts", never, Target{Annotations: annotated}, false, false},
		{"bind mounts", never, Target{HasBindMounts: true}, true, false},
	}
	for _, c := range cases {
		match, viaPod := c.hook.Match(c.target)
		if match != c.match || viaPod != c.viaPod {
			t.Errorf("%s: Match = %v, %v; want %v, %v", c.name, match, viaPod, c.match, c.viaPod)
		}
	}
}

func TestAdjustment(t *testing.T) {
	var hooks []*Hook
	for _, file := range productHooks {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h, err := parseHook(file, data)
		if err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, h)
	}
	hooks = append(hooks, mustParse(t, poststopHook))
	pod := map[string]string{"wireguard4netns.conf": "/etc/wireguard4netns/a.conf", "wireguard4netns.verbose": "1", "kept": "pod"}
	ctr := map[string]string{"kept": "container"}

	// Matched through the pod: both hooks at their stages, and the pod's annotations the container lacks.
	adjust, injected := adjustment(hooks, Target{Annotations: ctr, PodAnnotations: pod}, pod)
	if len(injected) != 2 {
		t.Fatalf("injected %v, want both files", injected)
	}
	h := adjust.Hooks
	if len(h.CreateRuntime) != 1 || len(h.Poststop) != 1 || len(h.Prestart)+len(h.CreateContainer)+len(h.StartContainer)+len(h.Poststart) != 0 {
		t.Fatalf("hooks by stage: %+v", h)
	}
	if h.CreateRuntime[0].Path != "/usr/local/lib/wireguard4netns/dist/wireguard-go" || h.CreateRuntime[0].Args[1] != "wireguard4netns-hook" || h.CreateRuntime[0].Timeout.GetValue() != 60 {
		t.Errorf("createRuntime hook: %+v", h.CreateRuntime[0])
	}
	want := map[string]string{"wireguard4netns.conf": "/etc/wireguard4netns/a.conf", "wireguard4netns.verbose": "1"}
	if len(adjust.Annotations) != len(want) {
		t.Errorf("annotations %v, want %v (the container's own \"kept\" stays)", adjust.Annotations, want)
	}
	for k, v := range want {
		if adjust.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, adjust.Annotations[k], v)
		}
	}

	// Matched through the container: hooks only.
	adjust, _ = adjustment(hooks, Target{Annotations: pod}, map[string]string{"other": "x"})
	if adjust == nil || len(adjust.Annotations) != 0 || len(adjust.Hooks.CreateRuntime) != 1 {
		t.Errorf("container match: %+v", adjust)
	}

	// No match: no adjustment at all.
	if adjust, injected := adjustment(hooks, Target{Annotations: ctr}, ctr); adjust != nil || injected != nil {
		t.Errorf("no match gave %+v, %v", adjust, injected)
	}
}
