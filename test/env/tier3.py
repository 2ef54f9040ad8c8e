"""Acts as Sinfonia tier3 does with the original wireguard4netns, round by round.

  tier3.py MODE CONFIG URL

It writes a resolv.conf into a temporary folder, spawns the app in
"unshare --user --map-root-user --net --mount" through tier3-helper.sh and,
with no wait at all, hands the namespace its WireGuard interface:
  python  create_wireguard_tunnel() of the wireguard4netns Python module
  cli     the original's command line, wireguard4netns --tmpdir TMPDIR PID IFACE CONF
  delete  like python, then deletes the temporary folder while the app runs
When the app exits, the folder is deleted, as tier3 does. It prints what the
app printed and exits with its code; 3 when create_wireguard_tunnel raised
CalledProcessError (what makes tier3 fall back to its sudo helper).
"""

import os
import shutil
import subprocess
import sys
import tempfile

import wireguard4netns

HERE = os.path.dirname(os.path.abspath(__file__))
IFACE = "wg-tier3test"  # "wg-" + letters, at most 15 characters


class StandInConfig:
    """What tier3 passes: a wireguard_tools.WireguardConfig, of which only to_wgconfig() is used."""

    def __init__(self, text):
        self.text = text

    def to_wgconfig(self):
        return self.text


def wait_for_no_daemon(pid, seconds):
    """Whether the daemon serving pid's namespace is gone within seconds."""
    import time

    mark = f"/proc/{pid}/ns/net".encode()
    for _ in range(seconds * 20):
        alive = False
        for name in os.listdir("/proc"):
            try:
                with open(f"/proc/{name}/cmdline", "rb") as f:
                    if mark in f.read():
                        alive = True
            except OSError:
                pass
        if not alive:
            return True
        time.sleep(0.05)
    return False


def wait_for_app(pid, argv, seconds):
    """Waits, bounded, until process pid runs argv (the helper execs the app last)."""
    import time

    want = ("\0".join(argv) + "\0").encode()
    for _ in range(seconds * 100):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if f.read() == want:
                    return
        except OSError:
            return
        time.sleep(0.01)


def main():
    mode, config_path, url = sys.argv[1:4]
    with open(config_path) as f:
        config_text = f.read()
    tmpdir = tempfile.mkdtemp(prefix="tier3-")
    resolv = os.path.join(tmpdir, "resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 198.51.100.53\n")
    app_cmd = ["sleep", "30"] if mode == "delete" else ["timeout", "10", "busybox", "wget", "-q", "-O-", url]
    app = subprocess.Popen(
        ["unshare", "--user", "--map-root-user", "--net", "--mount", "--",
         "sh", os.path.join(HERE, "tier3-helper.sh"), "--resolvconf", resolv, "--address", "198.51.100.2/32", IFACE, *app_cmd],
        stdout=subprocess.PIPE,
    )
    try:
        if mode == "cli":
            conf = os.path.join(tmpdir, "wg.conf")
            fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, config_text.encode())
            os.close(fd)
            # Captured output: the call must return at its exit, not when the daemon ends.
            subprocess.run([wireguard4netns._command(), "--tmpdir", tmpdir, str(app.pid), IFACE, conf],
                           check=True, capture_output=True, timeout=20)
        else:
            wireguard4netns.create_wireguard_tunnel(app.pid, IFACE, StandInConfig(config_text), tmpdir)
        if mode == "delete":
            # Once the helper has set the interface up and exec'd the app, as tier3's would be by the time it deletes.
            wait_for_app(app.pid, ["sleep", "30"], 10)
            shutil.rmtree(tmpdir)
            ended = wait_for_no_daemon(app.pid, 5)
            print("daemon ended" if ended else "daemon still running", "while the app runs" if app.poll() is None else "")
            app.kill()
            app.wait()
            return 0
        out = app.communicate(timeout=30)[0]
        sys.stdout.write(out.decode())
        return app.returncode
    except subprocess.CalledProcessError as err:
        print(f"CalledProcessError {err.returncode}", flush=True)
        return 3
    finally:
        if app.poll() is None and mode != "delete":
            app.kill()
            app.wait()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
