"""The `irconv` command: Model Optimizer compatible flags (see README)."""
import argparse
import logging
import os
import sys
import time

from .errors import IrconvError

log = logging.getLogger("irconv")


def _bool(v):
    s = str(v).strip().lower()
    if s in ("true", "1", "yes", "on"):
        return True
    if s in ("false", "0", "no", "off"):
        return False
    raise argparse.ArgumentTypeError("expected True or False, got '%s'" % v)


def build_parser():
    p = argparse.ArgumentParser(
        prog="irconv",
        description="Convert an ONNX, TensorFlow, MXNet, Caffe or Kaldi model to OpenVINO IR (.xml + .bin).")
    p.add_argument("--input_model", "-m", "-w", help="the model file (ONNX .onnx, ...)")
    p.add_argument("--framework", help="onnx, tf, mxnet, caffe or kaldi (detected from the file when omitted)")
    g = p.add_argument_group("output")
    g.add_argument("--output_dir", "-o", default=".", help="where to write the IR (default: current directory)")
    g.add_argument("--model_name", "-n", help="name of the IR files and of the model (default: the input file's stem)")
    g.add_argument("--compress_to_fp16", type=_bool, nargs="?", const=True, default=True, metavar="True|False",
                   help="store float weights as f16 with a Convert back to f32 (default True)")
    g.add_argument("--static_shape", action="store_true",
                   help="fold shape sub-graphs into constants for the model's input shapes")
    d = p.add_argument_group("diagnostics")
    d.add_argument("--log_level", default="ERROR", choices=["CRITICAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"],
                   help="DEBUG prints pass timings and full tracebacks")
    d.add_argument("--disable_pass", action="append", default=[], metavar="NAME",
                   help="skip a core pass by name (debugging); repeatable")
    d.add_argument("--list_passes", action="store_true", help="print the core passes in pipeline order and exit")
    c = p.add_argument_group("accepted for Model Optimizer compatibility (no effect)")
    c.add_argument("--use_legacy_frontend", action="store_true", help=argparse.SUPPRESS)
    c.add_argument("--use_new_frontend", action="store_true", help=argparse.SUPPRESS)
    c.add_argument("--silent", type=_bool, nargs="?", const=True, default=True, help=argparse.SUPPRESS)
    c.add_argument("--progress", action="store_true", help=argparse.SUPPRESS)
    return p


def run(args):
    from . import convert_model  # noqa: PLC0415 - keep `irconv --help` fast

    if args.list_passes:
        from . import _core  # noqa: PLC0415
        print("\n".join(_core.passes()))
        return 0
    if not args.input_model:
        raise _Usage("--input_model is required")
    t0 = time.perf_counter()
    name = args.model_name or os.path.splitext(os.path.basename(args.input_model.rstrip("/")))[0]
    model = convert_model(args.input_model, framework=args.framework, static_shape=args.static_shape,
                          disable_passes=args.disable_pass, model_name=name)
    for pname, secs, changed in model.pass_times:
        log.debug("pass %-32s %8.3f s%s", pname, secs, " (changed)" if changed else "")
    xml = os.path.join(args.output_dir, name + ".xml")
    stats = model.save(xml, compress_to_fp16=args.compress_to_fp16)
    ops = model.ops()
    n_ops = sum(v for k, v in ops.items() if k not in ("Parameter", "Result", "Const"))
    print("[ SUCCESS ] %s -> %s (+ .bin): %d ops, %d constants, %.1f MB weights, %.2f s"
          % (args.input_model, xml, n_ops, stats["constants"], stats["bin_bytes"] / 1e6, time.perf_counter() - t0))
    return 0


class _Usage(Exception):
    pass


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)  # exits 2 on bad usage
    level = {"WARN": "WARNING"}.get(args.log_level, args.log_level)
    logging.basicConfig(level=getattr(logging, level), format="[ %(levelname)s ] %(message)s", stream=sys.stderr)
    try:
        return run(args)
    except _Usage as e:
        parser.print_usage(sys.stderr)
        print("irconv: error: %s" % e, file=sys.stderr)
        return 2
    except IrconvError as e:
        if args.log_level == "DEBUG":
            raise
        print("[ ERROR ] %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("[ ERROR ] interrupted", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - a bug must still reach the user as one line
        if args.log_level == "DEBUG":
            raise
        print("[ ERROR ] internal error: %s: %s (run with --log_level DEBUG for the traceback)"
              % (type(e).__name__, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
