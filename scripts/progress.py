"""A one-line progress display on stderr, for terminals only: what is done, what is left, roughly how long.

When stderr is not a terminal (a log, a pipe, CI) it writes nothing of its own, so logs stay as they were.
"""
import shutil
import sys
import time


class Progress:
    """``step(label)`` after each unit of work; ``note(text)`` for a line that stays; ``close()`` at the end.

    ``total`` : units of work (components, submissions). ``what`` : their name in the line ("components").
    ``quiet`` : write nothing at all, notes included.
    """

    def __init__(self, total, what="items", out=None, quiet=False):
        self.total, self.what, self.done = total, what, 0
        self.out = out or sys.stderr
        self.quiet = quiet
        self.live = not quiet and total > 0 and hasattr(self.out, "isatty") and self.out.isatty()
        self.start = time.monotonic()
        self.current = ""

    def _width(self):
        return max(20, min(120, shutil.get_terminal_size((100, 24)).columns - 1))

    def _line(self):
        left = self.total - self.done
        elapsed = time.monotonic() - self.start
        eta = f", about {elapsed / self.done * left:.0f} s to go" if self.done and left else ""
        now = f"  {self.current}" if self.current and left else ""
        return f"[{self.done}/{self.total}] {left} {self.what} left{eta}{now}"

    def _draw(self):
        if self.live:
            width = self._width()
            self.out.write("\r" + self._line()[:width].ljust(width))
            self.out.flush()

    def _clear(self):
        if self.live:
            self.out.write("\r" + " " * self._width() + "\r")
            self.out.flush()

    def show(self, label):
        """``label`` is being worked on now."""
        self.current = label
        self._draw()

    def step(self, label=""):
        """One unit done (``label`` names it)."""
        self.done += 1
        self.current = ""
        self._draw()

    def note(self, text):
        """A line that stays (written whether or not stderr is a terminal, unless quiet); the live line goes below."""
        if self.quiet:
            return
        self._clear()
        print(text, file=self.out, flush=True)
        self._draw()

    def close(self):
        self._clear()
