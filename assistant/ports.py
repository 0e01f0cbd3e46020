"""The port `serve` listens on: checked before anything slow happens, with a free one to suggest."""

from __future__ import annotations

import socket


class PortInUse(ValueError):
    """The port asked for is taken; the message says which one to try instead."""


def check_port(host: str, port: int) -> None:
    """Raise PortInUse (naming a free port to pass to --port) if host:port cannot be listened on."""

    def free(p: int) -> bool:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will: TIME_WAIT is no clash
            try:
                s.bind((host, p))
            except OSError:
                return False
        return True

    if free(port):
        return
    other = next((p for p in range(port + 1, port + 50) if p < 65536 and free(p)), None)
    hint = f"--port {other}" if other else "--port PORT"
    raise PortInUse(f"port {port} on {host} is already in use: stop what runs there, or serve on another "
                    f"port with {hint}")
