/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: the daemon's log, bounded. /run is memory, and a verbose
 * daemon with a flooding peer logs a line per packet: past max bytes the
 * log moves to LOG.1 (one old generation) and a new one starts, so the
 * two stay under twice max. Copied into the patched wireguard-go tree at
 * build time.
 */

package main

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/device"
)

// daemonLog is the daemon's log, <dir>/daemon.log, and its logger, whose
// verbose lines it writes while verbose is on (-verbose may come late, on
// the flags line: the level is read at each line).
type daemonLog struct {
	*logFile
	*device.Logger
	verbose atomic.Bool
}

// openDaemonLog opens the log of the tunnel folder dir, bounded by max.
func openDaemonLog(dir, ifname string, max int64, verbose bool) (*daemonLog, error) {
	f, err := openLog(filepath.Join(dir, "daemon.log"), max)
	if err != nil {
		return nil, fmt.Errorf("failed to open the log: %v", err)
	}
	l := &daemonLog{logFile: f, Logger: f.logger(device.LogLevelVerbose, ifname)}
	l.verbose.Store(verbose)
	verbosef := l.Logger.Verbosef
	l.Logger.Verbosef = func(format string, a ...any) {
		if l.verbose.Load() {
			verbosef(format, a...)
		}
	}
	return l, nil
}

type logFile struct {
	mu   sync.Mutex
	path string
	max  int64
	f    *os.File
	size int64
}

// openLog opens path for appending and makes it the process's stdout and
// stderr too, so that a panic lands in it.
func openLog(path string, max int64) (*logFile, error) {
	l := &logFile{path: path, max: max}
	return l, l.reopen()
}

func (l *logFile) reopen() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	unix.Dup2(int(f.Fd()), 1)
	unix.Dup2(int(f.Fd()), 2)
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.size = f, st.Size()
	return nil
}

func (l *logFile) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.size+int64(len(p)) > l.max {
		// Others (the hook) append a line now and then: the file's own size decides.
		if st, err := l.f.Stat(); err != nil || st.Size()+int64(len(p)) > l.max {
			os.Rename(l.path, l.path+".1")
			if err := l.reopen(); err != nil {
				return 0, err
			}
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// logger is device.NewLogger writing to l instead of stdout.
func (l *logFile) logger(level int, ifname string) *device.Logger {
	logger := &device.Logger{Verbosef: device.DiscardLogf, Errorf: device.DiscardLogf}
	logf := func(prefix string) func(string, ...any) {
		return log.New(l, fmt.Sprintf("%s: (%s) ", prefix, ifname), log.Ldate|log.Ltime).Printf
	}
	if level >= device.LogLevelVerbose {
		logger.Verbosef = logf("DEBUG")
	}
	if level >= device.LogLevelError {
		logger.Errorf = logf("ERROR")
	}
	return logger
}

// notice logs msg whatever the level: a line the user should act on.
func (l *logFile) notice(ifname, msg string) {
	log.New(l, fmt.Sprintf("NOTICE: (%s) ", ifname), log.Ldate|log.Ltime).Print(msg)
}
