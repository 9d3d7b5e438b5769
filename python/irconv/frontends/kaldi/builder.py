"""Net (model.py) -> core graph, for OpenVINO's frame-by-frame speech inference.

A net without time context or recurrence becomes a stateless IR over a batch of frames. Otherwise
the IR is stateful and fed one frame per inference: every node N is computed, at step s, for frame
s - d(N), where d(N) = max over the nodes X it reads at offset o of d(X) + o (inputs: d = 0; a
longest-path fixpoint, which also covers recurrences). Reading X at offset o then means reading the
value X had `lag = d(N) - o - d(X)` steps ago: lag 0 is this step's value, older ones come from a
per-node buffer of the last K(X) = max lag values, kept in a ReadValue/Assign variable (one per
node, its own variable_id). The outputs are aligned to R = max d(output): step s yields frame
s - R (R = the model's right context). Splice offsets and Offset() values are honoured exactly.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Dict, List, Optional

import numpy as np

from irconv.errors import IrconvError

from .context import BuildContext
from .model import Append, ColRange, ConstDesc, Desc, Net, Node, Ref, Scale, Sum
from .registry import lookup_nnet, lookup_nnet1

log = logging.getLogger("irconv")

MAX_UNSUPPORTED_NAMES = 5
_SOFTMAX_TYPES = ("Softmax", "HiddenSoftmax", "SoftmaxComponent")


def spec_of(comp):
    return lookup_nnet1(comp.type) if comp.flavour == "nnet1" else lookup_nnet(comp.type)


class Builder:
    def __init__(self, net: Net, options: dict):
        self.net = net
        self.options = options
        self.path = net.path
        self.pre_add: Dict[str, np.ndarray] = {}
        self.post_add: Dict[str, np.ndarray] = {}

    # ------------------------------------------------------------------ checks / edits
    def select_outputs(self) -> List[Node]:
        outs = self.net.outputs
        specs = [s for s in (self.options.get("outputs") or []) if s.in_port is None and s.out_port is None]
        if specs and all(s.name in self.net.nodes and self.net.nodes[s.name].kind == "output" for s in specs):
            for s in specs:
                s.applied = True
            return [self.net.nodes[s.name] for s in specs]
        return outs

    def reachable(self, outputs: List[Node]) -> "OrderedDict[str, Node]":
        seen: "OrderedDict[str, Node]" = OrderedDict()
        stack = [o.name for o in outputs]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            node = self.net.nodes[n]
            seen[n] = node
            if node.desc is not None:
                for x, _, _ in node.desc.refs():
                    if x not in seen:
                        stack.append(x)
        return OrderedDict((k, v) for k, v in self.net.nodes.items() if k in seen)

    def check_supported(self, nodes) -> None:
        missing: "OrderedDict[str, List[str]]" = OrderedDict()
        for node in nodes.values():
            if node.kind != "component":
                continue
            comps = [node.component] + [c for c in node.component.children if hasattr(c, "type")]
            for c in comps:
                if spec_of(c) is None:
                    missing.setdefault(c.type, []).append(c.name or node.name)
        if not missing:
            return
        lines = []
        for typ, names in missing.items():
            shown = ", ".join("'%s'" % x for x in names[:MAX_UNSUPPORTED_NAMES])
            more = " and %d more" % (len(names) - MAX_UNSUPPORTED_NAMES) if len(names) > MAX_UNSUPPORTED_NAMES else ""
            lines.append("  %s: %d component%s: %s%s" % (typ, len(names), "" if len(names) == 1 else "s", shown, more))
        total = sum(len(v) for v in missing.values())
        raise IrconvError("%s: %d Kaldi component%s of %d unsupported type%s:\n%s"
                          % (self.path, total, "" if total == 1 else "s", len(missing),
                             "" if len(missing) == 1 else "s", "\n".join(lines)))

    def expand_time_offsets(self, nodes) -> None:
        """Components that read their input at several frames (TdnnComponent,
        TimeHeightConvolutionComponent) get the input descriptor Append(Offset(d, o) for o)."""
        for node in nodes.values():
            if node.kind != "component":
                continue
            f = getattr(spec_of(node.component).fn, "time_offsets", None)
            if f is None:
                continue
            try:
                offs = f(node.component)
            except IrconvError as e:
                raise IrconvError("%s: %s" % (self.path, e)) from None
            parts = [node.desc.shifted(int(o)) for o in offs]
            node.desc = parts[0] if len(parts) == 1 else Append(parts)

    def _final_component(self, out: Node) -> Optional[Node]:
        d = out.desc
        if isinstance(d, Ref) and not d.offset and not d.fixed:
            n = self.net.nodes[d.node]
            if n.kind == "component":
                return n
        return None

    def remove_output_softmax(self, outputs: List[Node]) -> None:
        for out in outputs:
            last = self._final_component(out)
            if last is not None and last.component.type in _SOFTMAX_TYPES:
                out.desc = last.desc
                log.info("%s: --remove_output_softmax: output '%s' now reads the input of '%s'",
                         self.path, out.name, last.name)
            else:
                log.warning("%s: --remove_output_softmax: output '%s' does not end with a softmax",
                            self.path, out.name)

    def apply_counts(self, outputs: List[Node], counts_opt) -> None:
        """The Model Optimizer's --counts: log-priors -log(c / sum c) (counts < 1e-10 floored and
        suppressed with +FLT_MAX/2) added in front of a final softmax, else after the output."""
        from .counts import counts_to_log_priors, read_counts  # noqa: PLC0415
        if counts_opt == "":
            if self.net.priors is None or not len(self.net.priors):
                raise IrconvError("%s: --counts without a file takes the priors from the model, but the model "
                                  "has none (only nnet2/nnet3 .mdl files store them)" % self.path)
            counts = np.array(self.net.priors, dtype=np.float64)
        else:
            counts = read_counts(counts_opt)
            self.options.setdefault("input_files", []).append(counts_opt)
        if len(outputs) != 1:
            raise IrconvError("%s: --counts is ambiguous: the model has %d outputs (%s); choose one with --output"
                              % (self.path, len(outputs), ", ".join(o.name for o in outputs)))
        neg = -counts_to_log_priors(counts)
        out = outputs[0]
        last = self._final_component(out)
        target = last if (last is not None and last.component.type in _SOFTMAX_TYPES) else None
        dim = self.dims[target.name] if target is not None else self.desc_dim(out.desc)
        if len(neg) != dim:
            raise IrconvError("%s: --counts has %d value(s) but the output has %d" % (self.path, len(neg), dim))
        if target is not None:
            self.pre_add[target.name] = neg
        else:
            self.post_add[out.name] = neg

    # ------------------------------------------------------------------ dims
    def compute_dims(self, nodes) -> None:
        self.dims: Dict[str, int] = {}
        busy = set()

        def dim_of(name: str) -> int:
            if name in self.dims:
                return self.dims[name]
            node = self.net.nodes[name]
            if name in busy:
                raise IrconvError("%s: cannot tell the dimension of node '%s': it depends on itself" % (self.path, name))
            busy.add(name)
            if node.kind == "input":
                d = int(node.dim)
            elif node.kind == "component":
                comp = node.component
                spec = spec_of(comp)
                try:
                    d = spec_out_dim(spec, comp, lambda: self.desc_dim(node.desc, dim_of))
                except IrconvError as e:
                    if str(e).startswith(self.path):
                        raise
                    raise IrconvError("%s: node '%s': %s" % (self.path, name, e)) from None
            else:
                d = self.desc_dim(node.desc, dim_of)
            busy.discard(name)
            if not 0 < d < 1 << 31:
                raise IrconvError("%s: node '%s' has dimension %d" % (self.path, name, d))
            self.dims[name] = d
            return d

        self._dim_of = dim_of
        for n in nodes:
            dim_of(n)

    def desc_dim(self, d: Desc, dim_of=None) -> int:
        dim_of = dim_of or self._dim_of
        if isinstance(d, Ref):
            return dim_of(d.node)
        if isinstance(d, Append):
            return sum(self.desc_dim(p, dim_of) for p in d.parts)
        if isinstance(d, Sum):
            dims = [self.desc_dim(p, dim_of) for p in d.parts]
            if len(set(dims)) != 1:
                raise IrconvError("%s: Sum() of parts with different dims %s" % (self.path, dims))
            return dims[0]
        if isinstance(d, Scale):
            return self.desc_dim(d.inner, dim_of)
        if isinstance(d, ConstDesc):
            return d.dim
        if isinstance(d, ColRange):
            inner = self.desc_dim(d.inner, dim_of)
            if d.start < 0 or d.start + d.dim > inner:
                raise IrconvError("%s: column range [%d, %d) is outside a %d-dim value"
                                  % (self.path, d.start, d.start + d.dim, inner))
            return d.dim
        raise AssertionError(d)

    # ------------------------------------------------------------------ time
    def compute_delays(self, nodes) -> None:
        d: Dict[str, Optional[int]] = {n: (0 if v.kind == "input" else None) for n, v in nodes.items()}
        order = [n for n, v in nodes.items() if v.kind != "input"]
        for _ in range(len(nodes) + 2):
            changed = False
            for n in order:
                node = nodes[n]
                vals, has_moving = [], False
                for x, o, fixed in node.desc.refs():
                    if fixed:
                        continue
                    has_moving = True
                    if d[x] is not None:
                        vals.append(d[x] + o)
                new = max(vals) if vals else (None if has_moving else 0)
                if new is not None and (d[n] is None or new > d[n]):
                    d[n] = new
                    changed = True
            if not changed:
                break
        else:
            raise IrconvError("%s: the network has a recurrence without a time delay (a cycle whose "
                              "Offset()s do not add up to a negative number)" % self.path)
        for n, v in d.items():
            if v is None:
                raise IrconvError("%s: node '%s' does not depend on any input" % (self.path, n))
        outs = [n for n, v in nodes.items() if v.kind == "output"]
        self.right = max([0] + [d[o] for o in outs])
        for o in outs:
            d[o] = self.right
        self.delay = d
        self.lags: Dict[tuple, int] = {}
        self.depth: Dict[str, int] = {n: 0 for n in nodes}
        for n, node in nodes.items():
            if node.desc is None:
                continue
            for x, o, fixed in node.desc.refs():
                lag = 0 if fixed else d[n] - o - d[x]
                if lag < 0:
                    raise AssertionError((n, x, lag))
                self.depth[x] = max(self.depth[x], lag)
        log.info("%s: right context %d, buffered nodes: %s", self.path, self.right,
                 {n: k for n, k in self.depth.items() if k} or "none")

    def topo_order(self, nodes) -> List[str]:
        """Nodes in build order: lag-0 (and time-invariant) reads first."""
        order, state = [], {}
        for root in nodes:
            if state.get(root):
                continue
            stack = [(root, False)]
            while stack:
                n, done = stack.pop()
                if done:
                    state[n] = 2
                    order.append(n)
                    continue
                if state.get(n) == 2:
                    continue
                if state.get(n) == 1:
                    continue
                state[n] = 1
                stack.append((n, True))
                node = nodes[n]
                if node.desc is None:
                    continue
                for x, o, fixed in node.desc.refs():
                    if fixed or self.delay[n] - o - self.delay[x] == 0:
                        if state.get(x) == 1:
                            raise IrconvError("%s: nodes '%s' and '%s' read each other in the same frame "
                                              "(a recurrence needs IfDefined(Offset(x, -1)) or similar)"
                                              % (self.path, n, x))
                        if state.get(x) != 2:
                            stack.append((x, False))
        return order

    # ------------------------------------------------------------------ build
    def build(self):
        from irconv import _core  # noqa: PLC0415

        net = self.net
        outputs = self.select_outputs()
        if self.options.get("remove_output_softmax"):
            self.remove_output_softmax(outputs)
        nodes = self.reachable(outputs)
        self.check_supported(nodes)
        self.expand_time_offsets(nodes)
        self.compute_dims(nodes)
        if self.options.get("counts") is not None:
            self.apply_counts(outputs, self.options["counts"])
        self.compute_delays(nodes)
        stateful_comps = [n for n, v in nodes.items()
                          if v.kind == "component" and getattr(spec_of(v.component).fn, "stateful", False)]
        stateful = any(self.depth.values()) or bool(stateful_comps) or self.right > 0
        self.stateful = stateful
        order = self.topo_order(nodes)

        g = _core.Graph("model")
        ctx = BuildContext(g, stateful, bool(self.options.get("remove_memory")))
        self.ctx = ctx
        self.vals: Dict[str, object] = {}
        self.full: Dict[str, object] = {}
        # inputs first, in the file's order
        specs = list(self.options.get("inputs") or [])
        for i, node in enumerate(n for n in nodes.values() if n.kind == "input"):
            shape = self.input_shape(node, i, specs)
            p = g.parameter(node.name, "f32", shape)
            names = [node.name]
            alias = net.input_aliases.get(node.name)
            if alias:
                names.append(alias)
            p.output(0).set_names(names)
            self.vals[node.name] = p.output(0)
            self.after_built(node.name)
        for n in order:
            node = nodes[n]
            if node.kind == "input":
                continue
            ctx.scope = n
            try:
                self.build_node(node)
            except IrconvError as e:
                msg = str(e)
                if msg.startswith(self.path):
                    raise
                if node.component is not None and msg.startswith(node.component.describe() + ": "):
                    msg = msg[len(node.component.describe()) + 2:]
                raise IrconvError("%s: %s: %s" % (self.path, self.what(node), msg)) from None
            except Exception as e:  # noqa: BLE001 - a translator bug must still name the node
                raise IrconvError("%s: %s: internal error while converting: %s: %s"
                                  % (self.path, self.what(node), type(e).__name__, e)) from e
            finally:
                ctx.scope = ""
        for key, value in ctx.memory_outputs:
            value.add_names([key])
            g.result(value, name=key)
        return g

    def what(self, node: Node) -> str:
        if node.kind == "component":
            return "node '%s' (%s)" % (node.name, node.component.describe())
        return "%s node '%s'" % (node.kind, node.name)

    def input_shape(self, node: Node, index: int, specs) -> List[int]:
        dim = self.dims[node.name]
        rows = 1 if self.stateful else -1
        shape = [rows, dim]
        alias = self.net.input_aliases.get(node.name)
        for s in specs:
            if s.applied or s.in_port is not None or s.out_port is not None:
                continue
            if (s.name is None and s.index == index) or s.name in (node.name, alias):
                if s.value is not None or s.dtype not in (None, "f32"):
                    return shape  # freezing / other types: the generic transform handles them
                if s.shape is not None:
                    want = s.static_shape()
                    if len(want) != 2 or (want[1] not in (-1, dim)):
                        raise IrconvError("%s: input '%s' has shape [frames, %d]; --input_shape gives %s"
                                          % (self.path, node.name, dim, want))
                    if self.stateful and want[0] not in (1, -1):
                        raise IrconvError("%s: input '%s': this model has frame context or recurrence and runs one "
                                          "frame per inference (shape [1, %d]); --input_shape gives %s"
                                          % (self.path, node.name, dim, want))
                    shape = [1 if self.stateful else want[0], dim]
                s.applied = True
                return shape
        return shape

    def build_node(self, node: Node) -> None:
        ctx = self.ctx
        x = self.materialize(self.eval(node.desc, node.name))
        if node.kind == "component":
            comp = node.component
            if node.name in self.pre_add:
                x = ctx.add(x, ctx.row(self.pre_add[node.name], "counts"), name="sub_counts")
                x.node.name = "sub_counts"
            spec = spec_of(comp)
            y = spec.fn(ctx, comp, x)
        elif node.kind == "descriptor":
            y = x
        else:  # output
            y = x
            if node.name in self.post_add:
                y = ctx.add(y, ctx.row(self.post_add[node.name], "counts"), name="sub_counts")
                y.node.name = "sub_counts"
                y.add_names(["sub_counts"])
            y.add_names([node.name])
            ctx.g.result(y, name=node.name)
            return
        shape = y.shape
        want = self.dims[node.name]
        if shape is not None and len(shape) == 2 and shape[1] >= 0 and shape[1] != want:
            raise IrconvError("produces %d columns, expected %d" % (shape[1], want))
        prod = y.node
        if prod.name.startswith(node.name + "/") and prod.type not in ("Parameter", "ReadValue"):
            prod.name = node.name
        y.add_names([node.name])
        self.vals[node.name] = y
        self.after_built(node.name)

    def after_built(self, name: str) -> None:
        """Buffers a node others read at earlier frames: full = [state (K frames), current]."""
        k = self.depth.get(name, 0)
        if not k:
            return
        ctx = self.ctx
        cur = self.vals[name]
        dim = self.dims[name]
        key = name + "/memory"
        state = ctx.state(key, k * dim)
        full = ctx.g.op("Concat", [state, cur], {"axis": 1}, name=key + "/Concat").output(0)
        self.full[name] = full
        new = cur if k == 1 else ctx.g.op(
            "Slice", [full, ctx.i64([dim]), ctx.i64([(k + 1) * dim]), ctx.i64([1]), ctx.i64([1])], {},
            name=key + "/Slice", version="opset8").output(0)
        ctx.assign(key, new)

    # ------------------------------------------------------------------ descriptors
    def eval(self, d: Desc, at: str) -> list:
        """A descriptor as segments (base Output, first column, end column)."""
        if isinstance(d, Ref):
            x = d.node
            dim = self.dims[x]
            lag = 0 if d.fixed else self.delay[at] - d.offset - self.delay[x]
            k = self.depth.get(x, 0)
            if x in self.full:
                return [(self.full[x], (k - lag) * dim, (k - lag + 1) * dim)]
            if lag == 0:
                if x not in self.vals:
                    raise AssertionError("node %s read before it is built" % x)
                return [(self.vals[x], 0, dim)]
            state = self.ctx.state(x + "/memory", k * dim)
            return [(state, (k - lag) * dim, (k - lag + 1) * dim)]
        if isinstance(d, Append):
            segs = []
            for p in d.parts:
                for s in self.eval(p, at):
                    if segs and segs[-1][0] == s[0] and segs[-1][2] == s[1]:
                        segs[-1] = (s[0], segs[-1][1], s[2])
                    else:
                        segs.append(s)
            return segs
        if isinstance(d, ColRange):
            out, pos = [], 0
            lo, hi = d.start, d.start + d.dim
            for base, a, b in self.eval(d.inner, at):
                w = b - a
                s0, s1 = max(lo, pos), min(hi, pos + w)
                if s0 < s1:
                    out.append((base, a + s0 - pos, a + s1 - pos))
                pos += w
            return out
        ctx = self.ctx
        if isinstance(d, Sum):
            y = self.materialize(self.eval(d.parts[0], at))
            for p in d.parts[1:]:
                y = ctx.add(y, self.materialize(self.eval(p, at)), name="Sum")
            return [(y, 0, self.desc_dim(d))]
        if isinstance(d, Scale):
            y = ctx.mul(self.materialize(self.eval(d.inner, at)), ctx.scalar(d.scale), name="Scale")
            return [(y, 0, self.desc_dim(d))]
        if isinstance(d, ConstDesc):
            row = ctx.const(np.full((1, d.dim), d.value, np.float32), "ConstDesc")
            if not self.stateful:
                first = next(iter(v for v in self.vals.values()))
                n = ctx.op("Gather", [ctx.op("ShapeOf", [first], {"output_type": "i64"}, version="opset3"),
                                      ctx.i64([0]), ctx.i64(0)], {"batch_dims": 0}, version="opset8")
                row = ctx.op("Broadcast", [row, ctx.op("Concat", [n, ctx.i64([d.dim])], {"axis": 0})],
                             {"mode": "numpy"}, version="opset3")
            return [(row, 0, d.dim)]
        raise AssertionError(d)

    def materialize(self, segs) -> object:
        ctx = self.ctx
        parts = []
        for base, a, b in segs:
            shape = base.shape
            full = shape is not None and len(shape) == 2 and a == 0 and b == shape[1]
            parts.append(base if full else ctx.cols(base, a, b))
        if not parts:
            raise IrconvError("an empty descriptor")
        return ctx.concat(parts)


def spec_out_dim(spec, comp, in_dim) -> int:
    f = getattr(spec.fn, "out_dim", None)
    if f is not None:
        return int(f(comp, in_dim))
    if comp.output_dim is not None:
        return int(comp.output_dim)
    if comp.get("OutputDim") is not None:
        return int(comp.get("OutputDim"))
    return int(in_dim())
