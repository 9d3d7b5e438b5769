"""The `irconv` command: Model Optimizer compatible flags (see README)."""
import argparse
import logging
import os
import re
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


_OPTIONAL_BOOL = dict(type=_bool, nargs="?", const=True, default=False, metavar="True|False")


def build_parser():
    p = argparse.ArgumentParser(
        prog="irconv",
        description="Convert an ONNX, TensorFlow, MXNet, Caffe or Kaldi model to OpenVINO IR (.xml + .bin). "
                    "Flags follow the OpenVINO Model Optimizer's spelling and meaning.")
    p.add_argument("--framework", help="onnx, tf, mxnet, caffe or kaldi (detected from the file when omitted)")
    g = p.add_argument_group("framework-agnostic")
    g.add_argument("--input_model", "-m", "-w",
                   help="the model file: .onnx, TF .pb/.pbtxt/.meta, MXNet -NNNN.params, Caffe .caffemodel, Kaldi .nnet/.mdl/.raw")
    g.add_argument("--output_dir", "-o", default=".", help="where to write the IR (default: current directory)")
    g.add_argument("--model_name", "-n", help="name of the IR files and of the model (default: the input file's stem)")
    g.add_argument("--input", help="inputs, in IR order: name, name[shape], name{type}, name->value, "
                                   "port:node (cut above an input port), node:port (an output becomes an input)")
    g.add_argument("--output", help="outputs, in IR order: node, node:port or port:node")
    g.add_argument("--input_shape", help="shape per input, e.g. [1,3,224,224],[2,4]; ? or -1 for dynamic, 1..10 for ranges")
    g.add_argument("--batch", "-b", type=int, help="set the batch dimension of every input")
    g.add_argument("--mean_values", help="per-channel mean subtracted from an input: [R,G,B] or name[R,G,B],...")
    g.add_argument("--scale_values", help="per-channel divisor applied after the mean: [R,G,B] or name[...],...")
    g.add_argument("--scale", "-s", type=float, help="divide every original input by this value")
    g.add_argument("--reverse_input_channels", **_OPTIONAL_BOOL, help="RGB<->BGR on 3-channel inputs (applied first)")
    g.add_argument("--source_layout", help="layout of inputs/outputs in the framework, e.g. nhwc or name(nchw),...")
    g.add_argument("--target_layout", help="layout wanted in the IR (inserts a Transpose when it differs)")
    g.add_argument("--layout", help="source and target layout at once, e.g. name(nhwc->nchw)")
    g.add_argument("--compress_to_fp16", type=_bool, nargs="?", const=True, default=True, metavar="True|False",
                   help="store float weights as f16 with a Convert back to f32 (default True)")
    g.add_argument("--static_shape", action="store_true",
                   help="fold shape sub-graphs into constants for the model's input shapes")
    g.add_argument("--freeze_placeholder_with_value", help="old spelling of --input name->value")
    g.add_argument("--transform", help="disable=NAME[,NAME...]: skip these core passes (irconv --list_passes); "
                                       "LowLatency2 / MakeStateful / Pruning are not supported")
    g.add_argument("--extensions", help="custom-layer extensions (not supported by irconv)")
    g.add_argument("--transformations_config", help="legacy JSON sub-graph replacement config (not needed by irconv)")
    g.add_argument("--validate", action="store_true",
                   help="after writing, run the IR and the source framework on random inputs and compare")
    g.add_argument("--version", action="store_true", help="print irconv's version and exit")
    t = p.add_argument_group("TensorFlow")
    t.add_argument("--input_model_is_text", **_OPTIONAL_BOOL, help="the GraphDef is in text format (.pbtxt)")
    t.add_argument("--input_checkpoint", help="variables: a checkpoint prefix, file or folder (V1 or V2)")
    t.add_argument("--input_meta_graph", help="a MetaGraph .meta file (variables from the checkpoint beside it)")
    t.add_argument("--saved_model_dir", help="a SavedModel directory")
    t.add_argument("--saved_model_tags", help="MetaGraph tags to load, comma-separated (default: serve)")
    t.add_argument("--tensorflow_object_detection_api_pipeline_config",
                   help="OD API pipeline.config (not needed by irconv: the graph is converted as it is)")
    t.add_argument("--tensorflow_custom_operations_config_update", help=argparse.SUPPRESS)
    t.add_argument("--tensorboard_logdir", help=argparse.SUPPRESS)
    t.add_argument("--tensorflow_custom_layer_libraries", help=argparse.SUPPRESS)
    c = p.add_argument_group("Caffe")
    c.add_argument("--input_proto", "-d", help="deploy.prototxt (default: the .caffemodel's stem + .prototxt)")
    c.add_argument("--caffe_parser_path", help=argparse.SUPPRESS)
    c.add_argument("--k", help=argparse.SUPPRESS)
    c.add_argument("--disable_omitting_optional", **_OPTIONAL_BOOL, help=argparse.SUPPRESS)
    c.add_argument("--enable_flattening_nested_params", **_OPTIONAL_BOOL, help=argparse.SUPPRESS)
    x = p.add_argument_group("MXNet")
    x.add_argument("--input_symbol", help="the symbol JSON (default: <prefix>-symbol.json beside the .params)")
    x.add_argument("--nd_prefix_name", help="prefix of args.nd/argx.nd files")
    x.add_argument("--pretrained_model_name", help="pretrained model to merge with the .nd files")
    x.add_argument("--save_params_from_nd", **_OPTIONAL_BOOL, help=argparse.SUPPRESS)
    x.add_argument("--legacy_mxnet_model", **_OPTIONAL_BOOL, help="model from MXNet < 1.0")
    x.add_argument("--enable_ssd_gluoncv", **_OPTIONAL_BOOL, help="GluonCV SSD post-processing")
    k = p.add_argument_group("Kaldi")
    k.add_argument("--counts", help="counts/priors file (or the .mdl's priors when given as the model)")
    k.add_argument("--remove_output_softmax", **_OPTIONAL_BOOL, help="drop the final softmax")
    k.add_argument("--remove_memory", **_OPTIONAL_BOOL, help="state as extra inputs/outputs instead of ReadValue/Assign")
    d = p.add_argument_group("diagnostics")
    d.add_argument("--log_level", default="ERROR", choices=["CRITICAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET"],
                   help="DEBUG prints pass timings and full tracebacks")
    d.add_argument("--silent", type=_bool, nargs="?", const=True, default=True, metavar="True|False",
                   help="only errors (the default); --silent False prints more")
    d.add_argument("--progress", **_OPTIONAL_BOOL, help="show progress on stderr")
    d.add_argument("--stream_output", **_OPTIONAL_BOOL, help=argparse.SUPPRESS)
    d.add_argument("--disable_pass", action="append", default=[], metavar="NAME",
                   help="skip a core pass by name (debugging); repeatable")
    d.add_argument("--list_passes", action="store_true", help="print the core passes in pipeline order and exit")
    d.add_argument("--disable_fusing", action="store_true",
                   help="skip every fusion pass (only dead-code elimination and constant folding run)")
    a = p.add_argument_group("accepted for Model Optimizer compatibility (no effect)")
    a.add_argument("--use_legacy_frontend", action="store_true", help=argparse.SUPPRESS)
    a.add_argument("--use_new_frontend", action="store_true", help=argparse.SUPPRESS)
    a.add_argument("--share_weights", **_OPTIONAL_BOOL, help=argparse.SUPPRESS)
    return p


# Flags whose value reaches the frontend as options[dest] when given.
_FRONTEND_OPTIONS = ("input", "output", "input_shape", "batch", "mean_values", "scale_values", "scale",
                     "reverse_input_channels", "source_layout", "target_layout", "layout",
                     "freeze_placeholder_with_value", "input_model_is_text", "input_checkpoint",
                     "input_meta_graph", "saved_model_dir", "saved_model_tags",
                     "tensorflow_object_detection_api_pipeline_config", "transformations_config",
                     "input_proto", "input_symbol", "nd_prefix_name", "pretrained_model_name",
                     "legacy_mxnet_model", "enable_ssd_gluoncv", "counts", "remove_output_softmax",
                     "remove_memory")
# Model Optimizer flags irconv does not implement: a clear error instead of a silent difference.
_UNSUPPORTED = {"transform": "--transform %s (LowLatency2/MakeStateful/Pruning; only disable=NAME,... is supported)",
                "extensions": "--extensions (custom-layer libraries)",
                "tensorflow_custom_operations_config_update": "--tensorflow_custom_operations_config_update",
                "tensorboard_logdir": "--tensorboard_logdir",
                "tensorflow_custom_layer_libraries": "--tensorflow_custom_layer_libraries",
                "caffe_parser_path": "--caffe_parser_path (irconv reads Caffe files itself)",
                "k": "--k (CustomLayersMapping.xml)",
                "save_params_from_nd": "--save_params_from_nd"}


def _options(args):
    opts = {}
    for k in _FRONTEND_OPTIONS:
        v = getattr(args, k, None)
        if v not in (None, False):
            opts[k] = v
    return opts


# Passes that are not fusions: what --disable_fusing keeps.
_NOT_FUSIONS = ("DeadCodeElimination", "ConstantFolding", "ConstantFoldingFinal", "DeadCodeEliminationFinal")


def _disabled_passes(args):
    """--disable_pass NAME..., --transform disable=A,B and --disable_fusing as one list of pass names.
    Consumes args.transform when it is a disable= list (any other --transform stays unsupported)."""
    names = list(args.disable_pass)
    t = (args.transform or "").strip()
    if t.startswith("disable="):
        names += [n.strip() for n in t[len("disable="):].split(",") if n.strip()]
        args.transform = None
    if args.disable_fusing:
        from . import _core  # noqa: PLC0415
        names += [n for n in _core.passes() if n not in _NOT_FUSIONS]
    return list(dict.fromkeys(names))


def _model_path(args):
    if args.input_model:
        return args.input_model
    if args.saved_model_dir:
        return args.saved_model_dir
    if args.input_meta_graph:
        return args.input_meta_graph
    if args.input_symbol:
        return args.input_symbol
    if args.input_proto:
        return args.input_proto
    raise _Usage("--input_model is required (or --saved_model_dir / --input_meta_graph)")


def run(args):
    from . import convert_model  # noqa: PLC0415 - keep `irconv --help` fast

    if args.version:
        from . import __version__  # noqa: PLC0415
        print("irconv %s" % __version__)
        return 0
    if args.list_passes:
        from . import _core  # noqa: PLC0415
        print("\n".join(_core.passes()))
        return 0
    disabled = _disabled_passes(args)
    for k, what in _UNSUPPORTED.items():
        if getattr(args, k, None) not in (None, False):
            raise IrconvError("%s is not supported by irconv" % (what % args.transform if k == "transform" else what))
    path = _model_path(args)
    framework = args.framework
    if not framework and (args.saved_model_dir or args.input_meta_graph or args.input_checkpoint
                          or args.input_model_is_text):
        framework = "tf"
    t0 = time.perf_counter()
    name = args.model_name or os.path.splitext(os.path.basename(path.rstrip("/")))[0]
    from .progress import Progress  # noqa: PLC0415
    prog = Progress(args.progress, auto=True)
    ok = False
    try:
        model = convert_model(path, framework=framework, static_shape=args.static_shape,
                              disable_passes=disabled, model_name=name, on_stage=prog.set,
                              compress_to_fp16=args.compress_to_fp16, **_options(args))
        for pname, secs, changed in model.pass_times:
            log.debug("pass %-32s %8.3f s%s", pname, secs, " (changed)" if changed else "")
        xml = os.path.join(args.output_dir, name + ".xml")
        prog.set("write", xml[:-4] + ".bin", _weights_estimate(model, args.compress_to_fp16))
        stats = model.save(xml, compress_to_fp16=args.compress_to_fp16)
        ok = True
    finally:
        prog.done(ok)
    ops = model.ops()
    n_ops = sum(v for k, v in ops.items() if k not in ("Parameter", "Result", "Const"))
    secs = time.perf_counter() - t0
    print("[ SUCCESS ] %s -> %s (+ .bin): %d ops, %d constants, %.1f MB weights, %.2f s"
          % (path, xml, n_ops, stats["constants"], stats["bin_bytes"] / 1e6, secs))
    print("[ INFO ] %s: inputs %s; outputs %s; %d ops; .bin %s; %.2f s"
          % (model.name, _ports(model.inputs), _ports(model.outputs), n_ops, _size(stats["bin_bytes"]), secs))
    if args.validate:
        return _validate(model, xml)
    return 0


def _ports(ports):
    def one(p):
        shape = "?" if p["shape"] is None else ",".join("?" if d < 0 else str(d) for d in p["shape"])
        return "%s[%s]{%s}" % (p["names"][0] if p["names"] else "?", shape, p["element_type"])
    return ", ".join(one(p) for p in ports) or "none"


def _size(n):
    for unit, k in (("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if n >= k:
            return "%.1f %s" % (n / k, unit)
    return "%d B" % n


def _weights_estimate(model, fp16):
    total = 0
    for n in model.graph.topo_order():
        if n.type == "Const":
            v = n.output(0)
            shape = v.shape or []
            cnt = 1
            for d in shape:
                cnt *= max(d, 0)
            total += cnt * (2 if fp16 and v.element_type == "f32" else _ET_BYTES.get(v.element_type, 4))
    return total


_ET_BYTES = {"f64": 8, "i64": 8, "u64": 8, "f32": 4, "i32": 4, "u32": 4, "f16": 2, "bf16": 2, "i16": 2,
             "u16": 2, "i8": 1, "u8": 1, "boolean": 1}


def _validate(model, xml):
    from . import validate  # noqa: PLC0415 - opt-in, imports openvino and the framework
    miss = validate.missing(model.framework)
    if miss:
        print("[ INFO ] validation needs %s (not installed); skipped" % " and ".join(miss))
        return 0
    try:
        ok, lines = validate.validate(model, xml)
    except RuntimeError as e:
        print("[ INFO ] validation skipped: %s" % e)
        return 0
    for line in lines:
        print("[ VALIDATE ] " + line)
    if not ok:
        print("[ ERROR ] validation failed: the IR's outputs differ from the source model's", file=sys.stderr)
        return 1
    return 0


class _Usage(Exception):
    pass


_ANNOTATED = re.compile(r"^(--[A-Za-z_0-9]+)\s+\((.*)\)\s*$")


def _drop_annotated_flags(parser, argv):
    """Scripts and case files sometimes carry a flag with a remark in one argument, e.g.
    '--reverse_input_channels (only with real weights trained on RGB)'. That is not a flag the
    shell split off: it is a note, so it is reported and left out rather than applied."""
    known = {o for a in parser._actions for o in a.option_strings}  # noqa: SLF001
    out, notes = [], []
    for a in argv:
        m = _ANNOTATED.match(a) if isinstance(a, str) else None
        if m and m.group(1) in known:
            notes.append(a)
        else:
            out.append(a)
    return out, notes


def main(argv=None):
    parser = build_parser()
    argv, notes = _drop_annotated_flags(parser, list(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)  # exits 2 on bad usage
    for n in notes:
        print("[ WARNING ] ignoring the argument '%s': a flag with a remark in one argument is a note, "
              "not an option (pass the flag alone to apply it)" % n, file=sys.stderr)
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
