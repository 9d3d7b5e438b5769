"""A mutation fuzzer for irconv's readers.

Seeds are the shared fixtures' model files. Each input is one seed with one file mutated (bit
flips, byte overwrites, truncation, inserted/duplicated/removed chunks, varint-ish length bumps,
text-token edits for text formats); it is converted in a forked child with a memory limit and a
time limit. A child may finish with success or with one IrconvError; anything else (a signal, an
uncaught exception, MemoryError, a hang) is a finding, saved under the findings directory.

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

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.environ.get("IRCONV_FIXTURES", os.path.join(REPO, "..", "shared", "fixtures"))

MEM_LIMIT = 3 << 30          # address space for one conversion (a 1 KB file may not claim 100 GB)
TIME_LIMIT = 20              # seconds of CPU per input

# reader -> (framework dir, main-file patterns, size cap for seeds, convert kwargs)
READERS = {
    "onnx": ("onnx", ["model.onnx"], 400_000, {}),
    "tf": ("tf", ["*.pb", "*.pbtxt", "saved_model/saved_model.pb", "*.meta", "variables/*.index",
                  "variables/*.data-*", "*.index", "*.data-*", "ckpt/*", "model.ckpt"], 2_000_000, {}),
    "mxnet": ("mxnet", ["*-symbol.json", "*.params"], 1_000_000, {}),
    "caffe": ("caffe", ["*.prototxt", "*.caffemodel"], 1_000_000, {}),
    "kaldi": ("kaldi", ["*.nnet", "*.mdl", "*.raw"], 1_000_000, {}),
}


class Seed:
    """A fixture case: its folder, the file to mutate, and how to convert it."""

    def __init__(self, case_dir, target, spec):
        self.case_dir = case_dir
        self.target = os.path.relpath(target, case_dir)
        self.spec = spec
        with open(target, "rb") as f:
            self.data = f.read()
        self.text = _is_text(self.data)


def _is_text(b):
    head = b[:4096]
    return bool(head) and b"\0" not in head and all(c >= 9 for c in head[:512])


def seeds(reader):
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
    return out


def mutate(data, rng, text=False):
    b = bytearray(data)
    for _ in range(rng.choice((1, 1, 1, 2, 3, 8))):
        if not b:
            b = bytearray(rng.randbytes(rng.randint(1, 64)))
            continue
        k = rng.randrange(10 if text else 8)
        i = rng.randrange(len(b))
        if k == 0:                                   # bit flip
            b[i] ^= 1 << rng.randrange(8)
        elif k == 1:                                 # interesting byte
            b[i] = rng.choice((0x00, 0xff, 0x7f, 0x80, 0x01, 0x0a, 0x08, 0x12, 0x1a, 0x22))
        elif k == 2:                                 # truncate
            del b[rng.randrange(len(b)):]
        elif k == 3:                                 # insert random bytes
            b[i:i] = rng.randbytes(rng.randint(1, 16))
        elif k == 4:                                 # duplicate a chunk
            j = min(len(b), i + rng.randint(1, 256))
            b[i:i] = b[i:j]
        elif k == 5:                                 # delete a chunk
            del b[i:i + rng.randint(1, 64)]
        elif k == 6:                                 # varint-ish length bump
            b[i] = (b[i] | 0x80) if rng.random() < 0.5 else min(0x7f, b[i] + rng.randint(1, 100))
        elif k == 7:                                 # 32-bit size field set huge/negative
            v = rng.choice((0xffffffff, 0x7fffffff, 0x80000000, 0x10000000, 0))
            b[i:i + 4] = v.to_bytes(4, "little")
        elif k == 8:                                 # text: replace a number with a big/negative one
            b[i:i + 1] = rng.choice((b"-1", b"99999999999", b"0", b"1e308", b"nan", b"\"", b"{", b"}", b"["))
        else:                                        # text: swap two lines
            lines = bytes(b).split(b"\n")
            if len(lines) > 2:
                x, y = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[x], lines[y] = lines[y], lines[x]
                b = bytearray(b"\n".join(lines))
    return bytes(b)


def _child(workdir, seed, out_dir):
    """Runs in the forked child: convert + save; exit 0 (ok), 10 (IrconvError), 20 (other)."""
    if not os.environ.get("IRCONV_FUZZ_NO_RLIMIT"):
        resource.setrlimit(resource.RLIMIT_AS, (MEM_LIMIT, MEM_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (TIME_LIMIT, TIME_LIMIT + 5))
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
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
        os._exit(0)
    except irconv.IrconvError:
        os._exit(10)
    except BaseException:  # noqa: BLE001 - a finding
        try:
            with open(os.path.join(out_dir, "traceback.txt"), "w") as f:
                traceback.print_exc(file=f)
        finally:
            os._exit(20)


def run(reader, iterations, seed=0, findings=None, log=sys.stderr, time_budget=None):
    """Returns a dict of counts: ok, clean_error, crash (signals), exception, hang, seconds."""
    import importlib  # noqa: PLC0415
    import irconv  # noqa: F401, PLC0415 - load the core and the frontend once, before forking
    import irconv.cli  # noqa: F401, PLC0415
    from irconv.frontends.registry import _MODULES  # noqa: PLC0415
    try:
        importlib.import_module("irconv.frontends." + _MODULES[READERS[reader][0]])
    except ModuleNotFoundError:
        raise RuntimeError("irconv has no %s frontend yet" % reader) from None
    rng = random.Random(seed)
    pool = seeds(reader)
    if not pool:
        raise RuntimeError("no seed files for reader %s under %s" % (reader, FIXTURES))
    counts = {"inputs": 0, "ok": 0, "clean_error": 0, "crash": 0, "exception": 0, "hang": 0}
    t0 = time.perf_counter()
    tmp = tempfile.mkdtemp(prefix="irconv-fuzz-")
    try:
        for it in range(iterations):
            if time_budget and time.perf_counter() - t0 > time_budget:
                break
            k = rng.randrange(len(pool))
            s = pool[k]
            work = os.path.join(tmp, "case%d" % k)       # a private copy per seed, made once
            if not os.path.exists(work):
                shutil.copytree(s.case_dir, work, symlinks=True,
                                ignore=shutil.ignore_patterns("expected.npz", "inputs.npz"))
            data = mutate(s.data, rng, s.text)
            with open(os.path.join(work, s.target), "wb") as f:
                f.write(data)
            out_dir = os.path.join(tmp, "out")
            os.makedirs(out_dir, exist_ok=True)
            pid = os.fork()
            if pid == 0:
                _child(work, s, out_dir)
            deadline = time.time() + TIME_LIMIT * 3
            status = None
            while time.time() < deadline:
                r, st = os.waitpid(pid, os.WNOHANG)
                if r:
                    status = st
                    break
                time.sleep(0.002)
            counts["inputs"] += 1
            kind = None
            if status is None:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                kind = "hang"
            elif os.WIFSIGNALED(status):
                kind = "hang" if os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL) else "crash"
            else:
                code = os.WEXITSTATUS(status)
                if code == 0:
                    counts["ok"] += 1
                elif code == 10:
                    counts["clean_error"] += 1
                else:
                    kind = "exception"
            if kind:
                counts[kind] += 1
                if findings:
                    dst = os.path.join(findings, "%s-%s-%06d" % (reader, kind, it))
                    shutil.copytree(work, dst)
                    tb = os.path.join(out_dir, "traceback.txt")
                    if os.path.exists(tb):
                        shutil.copy(tb, dst)
                    print("finding: %s %s (seed %s)" % (kind, dst, s.target), file=log)
            for f in os.listdir(out_dir):
                os.remove(os.path.join(out_dir, f))
            with open(os.path.join(work, s.target), "wb") as f:    # restore the seed file
                f.write(s.data)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    counts["seconds"] = round(time.perf_counter() - t0, 1)
    return counts
