"""A rebuild's new store on a Chroma server: which collections it is, who is making it, and whether it stopped.

On a server a rebuild (doctor.repair) builds the new store under another collection name beside the old one.
A rebuild that is killed, or whose server stops, leaves those collections there: a second copy of every
vector. The data directory's write lock cannot tell whether it is still being made, since other data
directories write to the same server; so the rebuild marks its store with the machine and process making it,
and a leftover is one whose process is gone.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass

# Metadata of a rebuild's documents collection: {"host", "pid", "home"} of the process making it.
MAKER = "assistant:rebuild_by"


def server_collections(client, collection: str) -> list[str]:
    """Return the names of the server's collections that make up the store called collection (and none of
    another store whose name only begins the same way, such as a rebuild's)."""
    names = [getattr(c, "name", c) for c in client.list_collections()]
    own = {f"{collection}-documents", f"{collection}-chunks", f"{collection}-sentences", f"{collection}-stamp"}
    return [n for n in names if n in own or n.startswith((f"{collection}-chunks-", f"{collection}-sentences-"))]


def mark(client, staged: str, home) -> None:
    """Make the documents collection of the store a rebuild builds (staged), marked with this process."""
    maker = {"host": socket.gethostname(), "pid": os.getpid(), "home": str(home)}
    client.get_or_create_collection(f"{staged}-documents", embedding_function=None,
                                    metadata={"hnsw:space": "cosine", MAKER: json.dumps(maker)})


@dataclass(frozen=True)
class Leftover:
    """The collections of a rebuild's store found on a server, and what is known of who made them."""

    names: tuple[str, ...]
    host: str = ""  # "" when unmarked (made by an earlier build): taken as stopped
    pid: int = 0
    home: str = ""

    @property
    def stopped(self) -> bool:
        """Return whether no process is making it: unmarked, or made on this machine by a process that is gone.
        One made on another machine cannot be asked, so it is never taken as stopped from here."""
        if not self.host:
            return True
        return self.host == socket.gethostname() and not _alive(self.pid)

    @property
    def running_here(self) -> bool:
        """Return whether a process of this machine is making it now (a rebuild under way, not a problem)."""
        return bool(self.host) and self.host == socket.gethostname() and _alive(self.pid)

    def describe(self) -> str:
        """Return the problem doctor names for it, with what removes it."""
        what = f"{len(self.names)} collection(s) on the Chroma server ({', '.join(self.names[:3])}" \
               f"{', …' if len(self.names) > 3 else ''})"
        if self.stopped:
            return f"a rebuild that was stopped left {what}: the next `assistant ingest` removes them"
        return (f"a rebuild on {self.host} (process {self.pid}, data directory {self.home}) is making {what}, or left "
                f"them if it was stopped: once it is not running, the next `assistant ingest` on {self.host} "
                "removes them")


def leftover(client, staged: str) -> Leftover | None:
    """Return the rebuild store called staged found on the server, None when there is none."""
    names = tuple(sorted(server_collections(client, staged)))
    if not names:
        return None
    try:
        meta = client.get_collection(f"{staged}-documents", embedding_function=None).metadata or {}
        maker = json.loads(meta.get(MAKER) or "{}")
    except ValueError:
        maker = {}
    except Exception as e:  # the documents collection is not there: an unmarked leftover; a server gone: said
        from .store import server_unreachable

        if server_unreachable(e):
            raise
        maker = {}
    return Leftover(names, str(maker.get("host", "")), int(maker.get("pid", 0) or 0), str(maker.get("home", "")))


def drop(client, names) -> None:
    """Delete the named collections (those already gone are skipped: another ingest may be removing them)."""
    for name in names:
        try:
            client.delete_collection(name)
        except Exception as e:
            from .store import server_unreachable

            if server_unreachable(e):
                raise


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True
