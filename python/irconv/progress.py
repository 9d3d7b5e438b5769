"""A progress line on stderr over load -> transform -> write, with bytes written.

Shown with --progress, or automatically on a terminal when a conversion runs longer than a
second. The C++ core releases the GIL while it runs passes and writes the .bin, so a small
thread can redraw; bytes written are read from the temporary .bin the writer fills.
"""
import os
import sys
import threading
import time

_STAGES = ("load", "transform", "write")


class Progress:
    def __init__(self, enabled, auto, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = bool(enabled)
        self.auto = bool(auto) and not self.enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.stage = None
        self.t0 = time.perf_counter()
        self.bin_path = None
        self.expected = 0
        self.shown = False
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._stop = threading.Event()
        self._thread = None
        if self.enabled or self.auto:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def set(self, stage, bin_path=None, expected_bytes=0):
        self.stage = stage
        self.bin_path = bin_path
        self.expected = expected_bytes
        if self.enabled:
            self._draw()

    def _written(self):
        if not self.bin_path:
            return 0
        d = os.path.dirname(os.path.abspath(self.bin_path))
        base = os.path.basename(self.bin_path) + ".tmp-"
        try:
            for f in os.listdir(d):
                if f.startswith(base):
                    return os.path.getsize(os.path.join(d, f))
            return os.path.getsize(self.bin_path) if os.path.exists(self.bin_path) else 0
        except OSError:
            return 0

    def _draw(self, final=False):
        if self.stage is None:
            return
        k = _STAGES.index(self.stage) if self.stage in _STAGES else len(_STAGES)
        frac = k / len(_STAGES)
        extra = ""
        if self.stage == "write":
            w = self._written()
            if self.expected:
                frac += min(w / self.expected, 1.0) / len(_STAGES)
            extra = " %.1f MB written" % (w / 1e6)
        if final:
            frac = 1.0
        n = int(frac * 30)
        line = ("\r" if self.tty else "") + "[%s%s] %3d%% %-9s %6.1f s%s" % ("#" * n, "." * (30 - n), int(frac * 100), self.stage,
                                                time.perf_counter() - self.t0, extra)
        self.stream.write(line + ("\n" if final or not self.tty else ""))
        self.stream.flush()
        self.shown = True

    def _run(self):
        while not self._stop.wait(0.25):
            if (self.auto and time.perf_counter() - self.t0 < 1.0) or not self.tty:
                continue
            self._draw()

    def done(self, ok=True):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.shown:
            if ok:
                self.stage = "done"
                self._draw(final=True)
            elif self.tty:
                self.stream.write("\n")
                self.stream.flush()
