"""Python API: convert_model() -> Model, Model.save()."""
import os

from .errors import IrconvError
from .frontends import registry


class Model:
    """A converted model: the core graph after the frontend and the optimization passes."""

    def __init__(self, graph, framework, source, pass_times):
        self._graph = graph
        self.framework = framework
        self.source = source
        self.pass_times = pass_times

    @property
    def graph(self):
        return self._graph

    @property
    def name(self):
        return self._graph.name

    @name.setter
    def name(self, v):
        self._graph.name = v

    @staticmethod
    def _port(o):
        return {"names": list(o.names), "element_type": o.element_type, "shape": o.shape}

    @property
    def inputs(self):
        """[{names, element_type, shape}] in IR input order (shape None = dynamic rank, -1 = dynamic dim)."""
        return [self._port(p.output(0)) for p in self._graph.parameters]

    @property
    def outputs(self):
        return [self._port(r.inputs[0]) for r in self._graph.results]

    def ops(self):
        """{op type: count} over the IR's layers (Parameters, Consts and Results included)."""
        counts = {}
        for n in self._graph.topo_order():
            counts[n.type] = counts.get(n.type, 0) + 1
        return dict(sorted(counts.items()))

    def save(self, xml_path, compress_to_fp16=True):
        """Writes xml_path and the .bin beside it (temporary files renamed at the end)."""
        xml_path = os.fspath(xml_path)
        if not xml_path.endswith(".xml"):
            raise IrconvError("the IR path must end with .xml, got '%s'" % xml_path)
        d = os.path.dirname(os.path.abspath(xml_path))
        try:
            os.makedirs(d, exist_ok=True)
        except OSError as e:
            raise IrconvError("cannot create output directory '%s': %s" % (d, e.strerror)) from None
        for target in (xml_path, xml_path[:-4] + ".bin"):
            if os.path.realpath(target) in self._input_files():
                raise IrconvError("writing '%s' would overwrite an input of the conversion; choose another "
                                  "--output_dir or --model_name" % target)
        rt = [("conversion_parameters/framework", self.framework),
              ("conversion_parameters/converter", "irconv " + _version()),
              ("conversion_parameters/compress_to_fp16", str(bool(compress_to_fp16)))]
        return self._graph.save(xml_path, xml_path[:-4] + ".bin", compress_to_fp16=bool(compress_to_fp16), rt_info=rt)


    def _input_files(self):
        """Real paths of the files this conversion read: the model path (every file under it for a
        directory) and the files the frontend listed in options["input_files"]."""
        files = set(os.path.realpath(f) for f in getattr(self, "input_files", ()))
        src = self.source if isinstance(self.source, str) else None
        if src and os.path.isdir(src):
            for root, _, names in os.walk(src):
                files.update(os.path.realpath(os.path.join(root, n)) for n in names)
        elif src:
            files.add(os.path.realpath(src))
        return files


def _version():
    from . import __version__  # noqa: PLC0415
    return __version__


_FP16_UNFOLDED = ("BatchNormDecompose", "WeightsScaleFusion")
_PREPROCESS = ("batch", "mean_values", "scale_values", "scale", "reverse_input_channels", "source_layout",
               "target_layout", "layout")


def _io_specs(opts):
    """input= / input_shape= / output= (flag strings, lists, or {name: shape}) -> spec lists."""
    from .transforms import specs  # noqa: PLC0415
    inp, shp, out = opts.pop("input", None), opts.pop("input_shape", None), opts.pop("output", None)
    frz = opts.pop("freeze_placeholder_with_value", None)
    if frz:
        inp = frz if not inp else "%s,%s" % (inp, frz)
    if isinstance(inp, str) or inp is None:
        inputs = specs.parse_inputs(inp, shp if isinstance(shp, str) or shp is None else None)
        if shp is not None and not isinstance(shp, str):
            shp_str = ",".join("[%s]" % ",".join(str(d) for d in x) for x in shp)
            inputs = specs.parse_inputs(inp, shp_str)
    else:
        inputs = specs.as_specs(inp, "input")
    inputs = list(opts.pop("inputs", None) or []) or inputs
    outputs = list(opts.pop("outputs", None) or []) or specs.as_specs(out, "output")
    return inputs, outputs


def _model_proto(input_model):
    """input_model as an onnx.ModelProto when it is one (onnx is only imported for non-paths)."""
    if isinstance(input_model, (str, bytes, os.PathLike)):
        return None
    import onnx  # noqa: PLC0415 - a declared dependency, needed only for in-memory models
    return input_model if isinstance(input_model, onnx.ModelProto) else None


def convert_model(input_model, framework=None, static_shape=False, disable_passes=(), **options):
    """Converts a model file (or SavedModel directory), or an in-memory onnx.ModelProto, into an
    irconv Model.

    framework: onnx | tf | mxnet | caffe | kaldi (detected from the file when omitted).
    input / input_shape / output: the Model Optimizer's --input / --input_shape / --output
      (strings in the flags' syntax; input may also be a list of names or a {name: shape} dict,
      input_shape a list of shapes, output a list of names).
    Other options are the CLI flags' names (input_proto=, input_checkpoint=, counts=, ...).
    static_shape: fold shape sub-graphs for the model's current input shapes.
    disable_passes: names of core passes to skip (debugging).
    compress_to_fp16: how the model will be saved (default True, as Model.save); with f16
      weights, BatchNorm and scales are not folded into weights (_FP16_UNFOLDED).
    base_dir: with a ModelProto, the directory its external data locations are relative to
      (a ModelProto without external data needs none); the proto is read in memory, never
      written to a temporary file.
    """
    proto = _model_proto(input_model)
    if proto is not None:
        if framework and registry.detect("", framework) != "onnx":
            raise IrconvError("an onnx.ModelProto is an ONNX model, not framework '%s'" % framework)
        fw, path = "onnx", proto
    else:
        if not isinstance(input_model, (str, bytes, os.PathLike)):
            raise IrconvError("input_model must be a path or an onnx.ModelProto, got %s"
                              % type(input_model).__name__)
        path = os.fspath(input_model)
        fw = registry.detect(path, framework)
    opts = dict(options)
    stage = opts.pop("on_stage", None) or (lambda name: None)   # progress hook: "load", "transform"
    stage("load")
    inputs, outputs = _io_specs(opts)
    opts["inputs"], opts["outputs"] = inputs, outputs
    opts.setdefault("input_files", [])      # frontends append every file they read
    graph = registry.convert(path, fw, opts)
    original = {p.name for p in graph.parameters} | {t for p in graph.parameters for t in p.output(0).names}
    if inputs or outputs:
        from .transforms.cut import apply_io_specs  # noqa: PLC0415
        apply_io_specs(graph, inputs, outputs)
    if any(opts.get(k) not in (None, False) for k in _PREPROCESS):
        from .transforms import preprocess  # noqa: PLC0415
        preprocess.apply(graph, fw, opts, original)
    if options.get("model_name"):
        graph.name = options["model_name"]
    elif graph.name in ("", "model") and proto is None:
        graph.name = os.path.splitext(os.path.basename(path.rstrip("/")))[0]
    stage("transform")
    disabled = list(disable_passes)
    if opts.get("compress_to_fp16", True):
        # Weights stored as f16: constants folded from several (BatchNorm's scale and shift, a
        # scale multiplied into weights) would be rounded to f16 after the arithmetic and lose
        # what the separate f16 constants keep; OpenVINO's CPU plugin folds them in f32 when it
        # compiles the model, so they stay separate in an f16 IR.
        disabled += [p for p in _FP16_UNFOLDED if p not in disabled]
    times = graph.run_passes(static_shape=bool(static_shape), disabled=disabled)
    model = Model(graph, fw, path, times)
    model.input_files = list(opts.get("input_files") or [])
    return model
