/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: tests of logfile.go. Copied into the patched wireguard-go
 * tree at build time, as logfile.go is.
 */

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// openTestLog is openLog with the test's own stdout and stderr given back
// at the end (openLog makes the log the process's stdout and stderr).
func openTestLog(t *testing.T, path string, max int64) *logFile {
	t.Helper()
	for _, fd := range []int{1, 2} {
		saved, err := unix.Dup(fd)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { unix.Dup2(saved, fd); unix.Close(saved) })
	}
	l, err := openLog(path, max)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.f.Close() })
	return l
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s ends mid-line", path)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// Past max the log moves to .1, each of the two stays under max plus the
// one line another writer (the hook) added, and no line is lost or cut
// between them; stderr (where a panic goes) follows to the new log.
func TestLogRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.log")
	const max = 300
	l := openTestLog(t, path, max)
	logger := l.logger(device.LogLevelError, "wg0")
	hookLine := "2026-01-01T00:00:00.000Z wireguard4netns: a line from the hook\n"
	for i := range 40 {
		logger.Errorf("line %02d", i)
		if i%10 == 5 {
			hook, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			hook.WriteString(hookLine)
			hook.Close()
		}
	}
	fmt.Fprintln(os.Stderr, "panic: as if")
	for _, p := range []string{path, path + ".1"} {
		if st, err := os.Stat(p); err != nil || st.Size() > max+int64(len(hookLine)) {
			t.Errorf("%s: %v", p, err)
		}
	}
	var ours []string
	for _, line := range append(readLines(t, path+".1"), readLines(t, path)...) {
		if m := regexp.MustCompile(`^ERROR: \(wg0\) [0-9/]{10} [0-9:]{8} line (\d\d)$`).FindStringSubmatch(line); m != nil {
			ours = append(ours, m[1])
		} else if line != strings.TrimSuffix(hookLine, "\n") && line != "panic: as if" {
			t.Errorf("not a line written: %q", line)
		}
	}
	if len(ours) < 5 || ours[len(ours)-1] != "39" {
		t.Fatalf("kept %v", ours)
	}
	for i := 1; i < len(ours); i++ {
		if ours[i] != fmt.Sprintf("%02d", atoi(ours[i-1])+1) {
			t.Errorf("lost a line between %s and %s", ours[i-1], ours[i])
		}
	}
	if lines := readLines(t, path); lines[len(lines)-1] != "panic: as if" {
		t.Errorf("stderr does not go to the current log: %q", lines)
	}
}

func atoi(s string) (n int) {
	fmt.Sscan(s, &n)
	return n
}

// The logger's lines are upstream device.NewLogger's, with the interface
// as its prefix, and its level silences what upstream's does.
func TestLoggerFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "daemon.log")
	l := openTestLog(t, path, 1<<20)
	ours := l.logger(device.LogLevelVerbose, "wg0")
	upstream := device.NewLogger(device.LogLevelVerbose, "(wg0) ") // to stdout: the log
	ours.Verbosef("handshake %d", 1)
	upstream.Verbosef("handshake %d", 1)
	ours.Errorf("failed: %v", "why")
	upstream.Errorf("failed: %v", "why")
	l.logger(device.LogLevelError, "wg0").Verbosef("not at error level")
	l.logger(device.LogLevelSilent, "wg0").Errorf("not when silent")
	lines := readLines(t, path)
	date := regexp.MustCompile(`\) \d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)
	for i, want := range []string{"DEBUG: (wg0) handshake 1", "DEBUG: (wg0) handshake 1", "ERROR: (wg0) failed: why", "ERROR: (wg0) failed: why"} {
		if i >= len(lines) || !date.MatchString(lines[i]) || date.ReplaceAllString(lines[i], ") ") != want {
			t.Errorf("line %d: got %q, want %q with the date and time", i, lines, want)
			break
		}
	}
	if len(lines) != 4 {
		t.Errorf("got %q", lines)
	}
}
