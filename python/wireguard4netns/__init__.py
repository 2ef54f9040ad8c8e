# SPDX-License-Identifier: MIT
"""wireguard4netns for Python callers of the original tool (Sinfonia tier3).

create_wireguard_tunnel() keeps the original's signature and meaning: a
WireGuard interface in the network namespace of process ns_pid, its UAPI
socket at TMPDIR/INTERFACE.sock. Addresses, routes, link state and DNS stay
the caller's. It runs the wireguard4netns command line (the original's
form), with the config on its stdin, so that no private key is ever written
to a file. Standard library only.

The command is found at $WIREGUARD4NETNS, else beside this package in the
npm package (dist/wireguard4netns), else on PATH.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__version__ = "0.2.0"
__all__ = ["create_wireguard_tunnel", "__version__"]


def _command() -> str:
    env = os.environ.get("WIREGUARD4NETNS")
    if env:
        return env
    bundled = Path(__file__).resolve().parents[2] / "dist" / "wireguard4netns"
    if bundled.is_file():
        return str(bundled)
    found = shutil.which("wireguard4netns")
    if found:
        return found
    raise FileNotFoundError(
        "wireguard4netns: command not found (npm install -g wireguard4netns, or set WIREGUARD4NETNS)"
    )


def create_wireguard_tunnel(ns_pid, interface, wg_config, tmpdir=None) -> None:
    """Create INTERFACE in ns_pid's network namespace, configured from wg_config.

    wg_config is anything with to_wgconfig() returning the wg-quick text
    (wireguard_tools.WireguardConfig), or that text itself. Returns once the
    peers are configured. On failure it raises subprocess.CalledProcessError
    (the command printed one line on stderr saying why), or
    FileNotFoundError when the command is not installed.
    """
    text = wg_config.to_wgconfig() if hasattr(wg_config, "to_wgconfig") else wg_config
    if isinstance(text, bytes):
        text = text.decode()
    cmd = [
        _command(),
        "--tmpdir",
        str(Path(tmpdir) if tmpdir is not None else Path()),
        str(int(ns_pid)),
        str(interface),
        "-",
    ]
    # The command's stdout and stderr end when it exits: the daemon it
    # starts never holds them, so a caller capturing them gets EOF at once.
    subprocess.run(cmd, input=text, text=True, check=True)
