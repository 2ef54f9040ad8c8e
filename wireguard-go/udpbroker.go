/* SPDX-License-Identifier: MIT
 *
 * wireguard4netns: UDP sockets made in one network namespace for a daemon
 * in another. Rootless podman runs a netavark plugin, and so our daemon,
 * inside its rootless network namespace, whose traffic leaves through
 * pasta; joining the host's network namespace would take CAP_SYS_ADMIN in
 * the initial user namespace. A broker that the user runs in the host's
 * namespace makes the sockets instead and passes them over a Unix socket
 * (SCM_RIGHTS); the daemon (-udp-broker) then sends from the host's
 * namespace, as a hook's daemon does. Copied into the patched wireguard-go
 * tree at build time.
 *
 * Protocol, one request per connection: the daemon sends "udp4 PORT\n" or
 * "udp6 PORT\n"; the broker answers "ok\n" with the socket (bound to PORT,
 * 0: any, with wireguard-go's socket options), or "error ERRNO TEXT\n".
 *
 * Who may ask: only processes of the broker's own uid (SO_PEERCRED), and
 * the socket's folder must be ours and closed to others' writes. The
 * daemon runs as uid 0 of the user's rootless user namespace, which the
 * kernel reports to the broker as the user's uid. Root is refused too:
 * nothing root runs needs a user's broker (a rootful daemon is in the
 * host's namespace and listens itself), and root could take the user's
 * place anyway, so admitting it would only widen who is served.
 */

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
	"golang.zx2c4.com/wireguard/conn"
)

// udpBrokerMain serves requests on -socket until SIGTERM or SIGINT.
func udpBrokerMain(args []string) int {
	flags := flag.NewFlagSet("wireguard-go wireguard4netns-udp-broker", flag.ContinueOnError)
	path := flags.String("socket", "", "the Unix socket to listen on (made 0600; a stale one is replaced)")
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		fmt.Fprintln(os.Stderr, "wireguard4netns-udp-broker: -socket is required")
		return 2
	}
	// A folder others may write could swap the socket for theirs.
	if err := ensurePrivateDir(filepath.Dir(*path)); err != nil {
		fmt.Fprintf(os.Stderr, "wireguard4netns-udp-broker: %v\n", err)
		return 1
	}
	os.Remove(*path)
	old := unix.Umask(0o177)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: *path, Net: "unix"})
	unix.Umask(old)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wireguard4netns-udp-broker: %v\n", err)
		return 1
	}
	defer l.Close() // removes the socket file
	term := make(chan os.Signal, 1)
	signal.Notify(term, unix.SIGTERM, os.Interrupt)
	go func() {
		<-term
		l.Close()
	}()
	for {
		c, err := l.AcceptUnix()
		if err != nil {
			return 0
		}
		if err := sameUser(c); err != nil {
			fmt.Fprintf(os.Stderr, "wireguard4netns-udp-broker: refused a client: %v\n", err)
			c.Close()
			continue
		}
		go serveUDPRequest(c)
	}
}

// sameUser refuses a client whose uid (as the kernel saw it at connect,
// mapped into our user namespace) is not ours: the socket's mode says the
// same, but a mode can be widened and a file's permission is not who asks.
func sameUser(c *net.UnixConn) error {
	raw, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var cred *unix.Ucred
	if err := raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return err
	}
	if err != nil {
		return fmt.Errorf("SO_PEERCRED: %w", err)
	}
	if int(cred.Uid) != os.Geteuid() {
		return fmt.Errorf("pid %d is uid %d; only uid %d is served", cred.Pid, cred.Uid, os.Geteuid())
	}
	return nil
}

// serveUDPRequest answers one request.
func serveUDPRequest(c *net.UnixConn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return
	}
	f, err := udpSocket(strings.TrimSpace(line))
	if err != nil {
		errno := syscall.EINVAL
		errors.As(err, &errno)
		fmt.Fprintf(c, "error %d %v\n", int(errno), err)
		return
	}
	defer f.Close()
	c.WriteMsgUnix([]byte("ok\n"), unix.UnixRights(int(f.Fd())), nil)
}

// udpSocket makes the socket a request asks for, as wireguard-go's bind would.
func udpSocket(request string) (*os.File, error) {
	network, portText, _ := strings.Cut(request, " ")
	port, err := strconv.Atoi(portText)
	if (network != "udp4" && network != "udp6") || err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("expected \"udp4 PORT\" or \"udp6 PORT\", got %q", request)
	}
	pc, err := conn.ListenConfig().ListenPacket(context.Background(), network, ":"+portText)
	if err != nil {
		return nil, err
	}
	defer pc.Close()
	return pc.(*net.UDPConn).File()
}

// udpFromBroker is conn.ListenUDP for a daemon given -udp-broker PATH. A
// broker that does not answer (gone, its socket left) is no reason to fail:
// the daemon then listens itself, in its own namespace, and says so.
func udpFromBroker(path string, logf func(string, ...any)) func(network string, port int) (*net.UDPConn, error) {
	return func(network string, port int) (*net.UDPConn, error) {
		c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			logf("wireguard4netns: UDP broker %s: %v; listening in this namespace instead", path, err)
			pc, err := conn.ListenConfig().ListenPacket(context.Background(), network, ":"+strconv.Itoa(port))
			if err != nil {
				return nil, err
			}
			return pc.(*net.UDPConn), nil
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(c, "%s %d\n", network, port)
		buf := make([]byte, 512)
		oob := make([]byte, unix.CmsgSpace(4))
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			return nil, fmt.Errorf("UDP broker %s: %w", path, err)
		}
		reply := strings.TrimSpace(string(buf[:n]))
		if rest, ok := strings.CutPrefix(reply, "error "); ok {
			errnoText, text, _ := strings.Cut(rest, " ")
			errno, _ := strconv.Atoi(errnoText)
			return nil, &net.OpError{Op: "listen", Net: network, Err: fmt.Errorf("UDP broker: %s: %w", text, syscall.Errno(errno))}
		}
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err != nil || len(msgs) != 1 || reply != "ok" {
			return nil, fmt.Errorf("UDP broker %s: unexpected answer %q", path, reply)
		}
		fds, err := unix.ParseUnixRights(&msgs[0])
		if err != nil || len(fds) != 1 {
			return nil, fmt.Errorf("UDP broker %s: no socket in the answer", path)
		}
		f := os.NewFile(uintptr(fds[0]), network)
		defer f.Close()
		if err := isUDPSocket(fds[0], network); err != nil {
			return nil, fmt.Errorf("UDP broker %s: %w", path, err)
		}
		pc, err := net.FilePacketConn(f)
		if err != nil {
			return nil, fmt.Errorf("UDP broker %s: %w", path, err)
		}
		udp, ok := pc.(*net.UDPConn)
		if !ok {
			pc.Close()
			return nil, fmt.Errorf("UDP broker %s: passed a %T, not a UDP socket", path, pc)
		}
		return udp, nil
	}
}

// isUDPSocket refuses a passed descriptor that is not a UDP socket of
// network's family: not a socket (a pipe), a TCP or Unix socket, a ping
// socket (SOCK_DGRAM but ICMP) or the other family.
func isUDPSocket(fd int, network string) error {
	domain := unix.AF_INET
	if network == "udp6" {
		domain = unix.AF_INET6
	}
	for _, want := range []struct {
		name      string
		opt, want int
	}{{"SO_TYPE", unix.SO_TYPE, unix.SOCK_DGRAM}, {"SO_DOMAIN", unix.SO_DOMAIN, domain}, {"SO_PROTOCOL", unix.SO_PROTOCOL, unix.IPPROTO_UDP}} {
		got, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, want.opt)
		if err != nil {
			return fmt.Errorf("the passed descriptor is not a %s socket: %s: %w", network, want.name, err)
		}
		if got != want.want {
			return fmt.Errorf("the passed descriptor is not a %s socket: %s %d, want %d", network, want.name, got, want.want)
		}
	}
	return nil
}
