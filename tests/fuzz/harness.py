"""A mutation fuzzer for irconv's readers.

Seeds are the shared fixtures' model files (Kaldi's binary models also in Kaldi's text format,
transcoded at start). Each input is one seed with one file mutated (tests/fuzz/mutators.py:
structure-aware edits of protobuf fields, JSON values and text tokens, boundary integers in binary
files, and byte-level bit flips, truncations, inserted/duplicated/removed chunks); it is converted
and saved in a forked child with a memory limit and a time limit. A child may finish with success
or with one IrconvError; anything else is a finding, saved under the findings directory:

  crash      the child died of a signal (segfault, abort)
  exception  an exception other than IrconvError reached the API
  internal   an IrconvError wrapping a translator's unexpected exception ("internal error ...")
  hang       the child ran out of CPU time or wall time (or was killed for memory)
  escape     the conversion opened a file outside the model's folder (seen by an audit hook; the
             mutators plant paths to a canary file beside the folder)
  partial    a failed save left files in the output folder, or a successful one left more than
             the .xml/.bin pair

    python -m tests.fuzz --reader onnx --iterations 100000 [--seed 1] [--findings DIR]
"""
import glob
import json
import os
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback

from .mutators import Mutable, kind_of, mutate_bytes

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.environ.get("IRCONV_FIXTURES", os.path.join(REPO, "..", "shared", "fixtures"))

MEM_LIMIT = 3 << 30          # address space for one conversion (a 1 KB file may not claim 100 GB)
TIME_LIMIT = 10              # seconds of CPU per input (a hang; 3x that of wall time)

# reader -> (framework dir, main-file patterns, size cap for seeds, convert kwargs)
READERS = {
    "onnx": ("onnx", ["model.onnx", "*.bin"], 400_000, {}),
    "tf": ("tf", ["*.pb", "*.pbtxt", "saved_model/saved_model.pb", "*.meta", "variables/*.index",
                  "variables/*.data-*", "*.index", "*.data-*", "ckpt/*", "model.ckpt", "checkpoint"], 2_000_000, {}),
    "mxnet": ("mxnet", ["*-symbol.json", "*.params"], 1_000_000, {}),
    "caffe": ("caffe", ["*.prototxt", "*.caffemodel"], 1_000_000, {}),
    "kaldi": ("kaldi", ["*.nnet", "*.mdl", "*.raw"], 1_000_000, {}),
}

EXIT_OK, EXIT_ERROR, EXIT_UNLOCATED, EXIT_EXCEPTION, EXIT_INTERNAL, EXIT_ESCAPE = 0, 10, 11, 20, 30, 40
FINDINGS = ("crash", "exception", "internal", "hang", "escape", "partial")


class Seed:
    """A fixture case: its folder, the file to mutate, and how to convert it."""

    def __init__(self, case_dir, target, spec, data=None):
        self.case_dir = case_dir
        self.target = os.path.relpath(target, case_dir)
        self.spec = spec
        if data is None:
            with open(target, "rb") as f:
                data = f.read()
        self.data = data
        self.kind = kind_of(self.target, data)
        self.text = self.kind in ("text", "json")
        self.mutable = Mutable(data, self.kind)


def _kaldi_text_twins(out, scratch):
    """Kaldi's text format has no fixtures: a text copy of every binary model (same case.json)."""
    sys.path.insert(0, os.path.join(REPO, "tests", "frontends", "kaldi"))
    try:
        from kaldi_writer import text_copy  # noqa: PLC0415
    except ImportError:
        return []
    twins = []
    for s in out:
        if s.kind == "text":
            continue
        d = os.path.join(scratch, "kaldi-text-%d" % len(twins))
        shutil.copytree(s.case_dir, d, ignore=shutil.ignore_patterns("expected.npz", "inputs.npz"))
        try:
            text_copy(os.path.join(s.case_dir, s.target), os.path.join(d, s.target))
        except Exception:  # noqa: BLE001 - a model the transcoder cannot write: no twin
            continue
        twins.append(Seed(d, os.path.join(d, s.target), s.spec))
    return twins


def seeds(reader, scratch=None):
    fw, patterns, cap, _ = READERS[reader]
    out = []
    for case in sorted(glob.glob(os.path.join(FIXTURES, fw, "*", "case.json"))):
        d = os.path.dirname(case)
        spec = json.load(open(case))
        files = []
        for pat in patterns:
            files += glob.glob(os.path.join(d, pat))
        for f in sorted(set(files)):
            if os.path.isfile(f) and 0 < os.path.getsize(f) <= cap:
                out.append(Seed(d, f, spec))
    if reader == "kaldi" and scratch:
        out += _kaldi_text_twins(out, scratch)
    return out


def mutate(data, rng, text=False):
    """Byte-level mutation (kept for callers of the first version; Seed.mutable does more)."""
    return mutate_bytes(data, rng, text)


def _audit_escapes(root, case_dir, out_dir, marker):
    """An audit hook that ends the child (EXIT_ESCAPE) when it opens a file under the fuzzer's
    scratch root but outside its case folder (and the output folder)."""
    root, case_dir, out_dir = (os.path.realpath(p) for p in (root, case_dir, out_dir))

    def inside(p, d):
        return p == d or p.startswith(d + os.sep)

    def hook(event, args):
        if event != "open" or not args or not isinstance(args[0], (str, bytes)):
            return
        p = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
        full = os.path.realpath(p)
        if inside(full, root) and not inside(full, case_dir) and not inside(full, out_dir):
            with open(marker, "w") as f:   # noqa: PTH123 - inside out_dir: allowed by the hook
                f.write("opened %s (%s)\n" % (p, full))
                traceback.print_stack(file=f)
            os._exit(EXIT_ESCAPE)
    sys.addaudithook(hook)


def _vm_size():
    """This process's mapped address space in bytes (Linux), 0 if unknown."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _child(workdir, seed, out_dir, root):
    """Runs in the forked child: convert + save; exits with one of the EXIT_* codes."""
    if not os.environ.get("IRCONV_FUZZ_NO_RLIMIT"):
        # MEM_LIMIT more than what the forked child already maps (a test session may have loaded
        # TensorFlow and torch, whose mappings alone exceed MEM_LIMIT)
        limit = _vm_size() + MEM_LIMIT
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT, TIME_LIMIT + 5))
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    err = os.open(os.path.join(out_dir, "stderr.txt"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(err, 2)                  # sanitizer reports and warnings, kept with a finding
    _audit_escapes(root, workdir, out_dir, os.path.join(out_dir, "traceback.txt"))
    try:
        from irconv.cli import build_parser, _options, _model_path  # noqa: PLC0415
        import irconv  # noqa: PLC0415
        args = [a for a in seed.spec.get("mo_args", []) if not a.startswith("--compress_to_fp16")]
        if seed.spec.get("framework") == "tf" and any(" " in a for a in args):
            args = [a for a in args if " " not in a]
            # drop flags whose value was a note (od_api case)
            clean = []
            for a in args:
                if clean and clean[-1] in ("--transformations_config", "--tensorflow_object_detection_api_pipeline_config"):
                    clean.pop()
                    continue
                clean.append(a)
            args = clean
        ns = build_parser().parse_args(
            (["--input_model", seed.spec["model"][0]] if "--input_model" not in args and "--saved_model_dir" not in args
             and "--input_meta_graph" not in args else []) + args)
        path = _model_path(ns)
        m = irconv.convert_model(path, framework=ns.framework, **_options(ns))
        m.save(os.path.join(out_dir, "m.xml"), compress_to_fp16=True)
        os._exit(EXIT_OK)
    except irconv.IrconvError as e:
        msg = str(e)
        if "internal error" in msg:
            with open(os.path.join(out_dir, "traceback.txt"), "w") as f:
                traceback.print_exc(file=f)
            os._exit(EXIT_INTERNAL)
        names = [n for n in os.listdir(workdir) if n not in ("case.json",)] + [seed.target]
        if any(n in msg for n in names):
            os._exit(EXIT_ERROR)
        with open(os.path.join(out_dir, "error.txt"), "w") as f:
            f.write(msg[:2000])
        os._exit(EXIT_UNLOCATED)
    except BaseException:  # noqa: BLE001 - a finding
        try:
            with open(os.path.join(out_dir, "traceback.txt"), "w") as f:
                traceback.print_exc(file=f)
        finally:
            os._exit(EXIT_EXCEPTION)


def _classify(status):
    """(kind, exit code) of a finished child: kind is ok | clean_error | unlocated or a finding."""
    if status is None:
        return "hang", None
    if os.WIFSIGNALED(status):
        return ("hang" if os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL) else "crash"), None
    code = os.WEXITSTATUS(status)
    kind = {EXIT_OK: "ok", EXIT_ERROR: "clean_error", EXIT_UNLOCATED: "unlocated", EXIT_INTERNAL: "internal",
            EXIT_ESCAPE: "escape", EXIT_EXCEPTION: "exception"}.get(code)
    # any other exit status: the process ended itself outside Python (a sanitizer report, abort()
    # handlers, exit() in native code)
    return (kind or "crash"), code


def _wait(pid):
    deadline = time.time() + TIME_LIMIT * 3
    while time.time() < deadline:
        r, st = os.waitpid(pid, os.WNOHANG)
        if r:
            return st
        time.sleep(0.002)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None


def replay(finding_dir):
    """Converts a saved finding again (in a forked child, as the fuzzer did): returns (kind, the
    child's traceback or error text)."""
    import irconv  # noqa: F401, PLC0415
    import irconv.cli  # noqa: F401, PLC0415
    spec = json.load(open(os.path.join(finding_dir, "case.json")))
    tmp = tempfile.mkdtemp(prefix="irconv-replay-")
    try:
        work = os.path.join(tmp, "case")
        shutil.copytree(finding_dir, work, symlinks=True,
                        ignore=shutil.ignore_patterns("traceback.txt", "stderr.txt"))
        out_dir = os.path.join(tmp, "out")
        os.makedirs(out_dir)
        s = Seed(work, os.path.join(work, spec["model"][0]), spec)
        pid = os.fork()
        if pid == 0:
            _child(work, s, out_dir, tmp)
        kind, _ = _classify(_wait(pid))
        text = ""
        for name in ("traceback.txt", "error.txt", "stderr.txt"):
            p = os.path.join(out_dir, name)
            if os.path.exists(p):
                text += open(p, errors="replace").read()
        return kind, text
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(reader, iterations, seed=0, findings=None, log=sys.stderr, time_budget=None, jobs=None):
    """Returns a dict of counts: inputs, ok, clean_error (unlocated: how many of those name no
    file of the model), the findings (crash, exception, internal, hang, escape, partial), the
    longest wall time of one input (max_seconds) and of the run (seconds).
    jobs: conversions at once (default: the CPUs this process may use)."""
    import importlib  # noqa: PLC0415
    import irconv  # noqa: F401, PLC0415 - load the core and the frontend once, before forking
    import irconv.cli  # noqa: F401, PLC0415
    from irconv.frontends.registry import _MODULES  # noqa: PLC0415
    try:
        importlib.import_module("irconv.frontends." + _MODULES[READERS[reader][0]])
    except ModuleNotFoundError:
        raise RuntimeError("irconv has no %s frontend yet" % reader) from None
    rng = random.Random(seed)
    jobs = max(1, jobs or len(os.sched_getaffinity(0)))
    tmp = tempfile.mkdtemp(prefix="irconv-fuzz-")
    counts = {"inputs": 0, "ok": 0, "clean_error": 0, "unlocated": 0}
    counts.update((k, 0) for k in FINDINGS)
    counts["max_seconds"] = 0.0       # the longest wall time of one input
    t0 = time.perf_counter()
    running = {}                      # pid -> (slot, iteration, Seed, case copy, deadline, start)
    try:
        pool = seeds(reader, scratch=os.path.join(tmp, "seeds"))
        if not pool:
            raise RuntimeError("no seed files for reader %s under %s" % (reader, FIXTURES))
        canary = os.path.join(tmp, "secret.bin")          # beside the case folders: never to be read
        with open(canary, "wb") as f:
            f.write(bytes(range(256)) * 64)
        plant = [canary.encode(), b"../secret.bin", b"../" + os.path.basename(tmp).encode() + b"/secret.bin"]
        unlocated_log = []
        # `jobs` children at once, each slot with its own output folder and case copies; the
        # inputs are drawn in iteration order in this process, so a seed gives the same inputs
        free = list(range(jobs))
        for j in free:
            os.makedirs(os.path.join(tmp, "out%d" % j))

        def finish(pid, status):
            j, it, s, work, _, started = running.pop(pid)
            out_dir = os.path.join(tmp, "out%d" % j)
            counts["inputs"] += 1
            counts["max_seconds"] = max(counts["max_seconds"], round(time.time() - started, 2))
            kind, _ = _classify(status)
            left = sorted(set(os.listdir(out_dir)) - {"traceback.txt", "error.txt", "stderr.txt"})
            if kind in ("ok", "clean_error", "unlocated") and left != (["m.bin", "m.xml"] if kind == "ok" else []):
                kind = "partial"
                with open(os.path.join(out_dir, "traceback.txt"), "a") as f:
                    f.write("output folder after the run: %s\n" % left)
            if kind == "unlocated":
                counts["clean_error"] += 1
                counts["unlocated"] += 1
                if findings and len(unlocated_log) < 200:
                    p = os.path.join(out_dir, "error.txt")
                    unlocated_log.append("%s: %s" % (s.target, open(p).read() if os.path.exists(p) else "?"))
            elif kind in counts:
                counts[kind] += 1
            if kind in FINDINGS and findings:
                dst = os.path.join(findings, "%s-%s-%06d" % (reader, kind, it))
                shutil.copytree(work, dst, symlinks=True)
                for name in ("traceback.txt", "stderr.txt"):
                    p = os.path.join(out_dir, name)
                    if os.path.exists(p) and os.path.getsize(p):
                        shutil.copy(p, dst)
                print("finding: %s %s (seed %s)" % (kind, dst, s.target), file=log)
            for f in os.listdir(out_dir):
                os.remove(os.path.join(out_dir, f))
            with open(os.path.join(work, s.target), "wb") as f:    # restore the seed file
                f.write(s.data)
            free.append(j)

        def reap(block):
            while running:
                for pid in list(running):
                    r, st = os.waitpid(pid, os.WNOHANG)
                    if r:
                        finish(pid, st)
                    elif time.time() > running[pid][4]:
                        os.kill(pid, signal.SIGKILL)
                        os.waitpid(pid, 0)
                        finish(pid, None)
                if free or not block:
                    return
                time.sleep(0.002)

        for it in range(iterations):
            if time_budget and time.perf_counter() - t0 > time_budget:
                break
            reap(block=True)
            j = free.pop()
            k = rng.randrange(len(pool))
            s = pool[k]
            work = os.path.join(tmp, "s%d-case%d" % (j, k))       # a private copy per slot and seed
            if not os.path.exists(work):
                shutil.copytree(s.case_dir, work, symlinks=True,
                                ignore=shutil.ignore_patterns("expected.npz", "inputs.npz"))
            data = s.mutable.mutate(rng, plant)
            with open(os.path.join(work, s.target), "wb") as f:
                f.write(data)
            pid = os.fork()
            if pid == 0:
                _child(work, s, os.path.join(tmp, "out%d" % j), tmp)
            running[pid] = (j, it, s, work, time.time() + TIME_LIMIT * 3, time.time())
        while running:
            reap(block=False)
            time.sleep(0.002)
        if findings and unlocated_log:
            with open(os.path.join(findings, "%s-unlocated-errors.txt" % reader), "w") as f:
                f.write("\n".join(unlocated_log) + "\n")
    finally:
        for pid in running:           # interrupted: no child outlives the run
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        shutil.rmtree(tmp, ignore_errors=True)
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    return counts
