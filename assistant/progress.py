"""Terminal progress for ingest: one tqdm bar over files, one over the current file's embedding batches."""

from __future__ import annotations

import sys

from tqdm import tqdm


class IngestBars:
    """An ingest progress callback (label, done, total) drawing two bars that move as work is done."""

    def __init__(self, file=None):
        self.file = file or sys.stderr
        self.files: tqdm | None = None
        self.batches: tqdm | None = None

    def __call__(self, label: str, done: int, total: int) -> None:
        if label == "done":
            self.close(done)
            return
        verb, _, name = label.partition(" ")
        if verb == "reading":
            if self.files is None:
                self.files = tqdm(total=total, desc="files", unit="file", file=self.file, position=0,
                                  dynamic_ncols=True)
            self.files.total = total
            self.files.n = done
            self.files.set_postfix_str(name[:40], refresh=False)
            self.files.refresh()
        elif verb == "embedding":
            if self.batches is None or self.batches.desc != f"  {name[:30]}":
                if self.batches is not None:
                    self.batches.close()
                self.batches = tqdm(total=total, desc=f"  {name[:30]}", unit="text", file=self.file, position=1,
                                    leave=False, dynamic_ncols=True)
            self.batches.total = total
            self.batches.n = done
            self.batches.refresh()

    def close(self, done: int | None = None) -> None:
        """Finish both bars (the file count stays on screen)."""
        if self.batches is not None:
            self.batches.close()
            self.batches = None
        if self.files is not None:
            if done is not None:
                self.files.n = done
            self.files.set_postfix_str("", refresh=False)
            self.files.refresh()
            self.files.close()
            self.files = None
