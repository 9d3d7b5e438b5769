"""Input preprocessing and layouts, the Model Optimizer's way, on the core graph:

    Parameter -> reverse channels -> subtract mean -> divide by scale -> the model

--batch sets the batch dimension ('n' of the layout, else dimension 0) of every input.
--layout / --source_layout / --target_layout record the input's layout in the IR, and a target
layout different from the source inserts the Transpose (the IR input takes the target layout).
Everything here applies to the model's inputs as they are after the cut (transforms/cut.py).
"""
import re

import numpy as np

from ..errors import IrconvError

# Where the channel dimension is when no layout is given: the framework's native layout.
_CHANNELS_LAST = {"tf"}


def _split_named(text, flag):
    """'[1,2,3]' -> {None: '[1,2,3]'}; 'a[1,2],b[3]' -> {'a': '[1,2]', 'b': '[3]'};
    also accepts 'a(nhwc),b(nc)' for layouts."""
    text = str(text).strip()
    out = {}
    pos = 0
    pat = re.compile(r"\s*([^\[\](),]*?)\s*([\[(])")
    while pos < len(text):
        m = pat.match(text, pos)
        if not m:
            break
        name = m.group(1) or None
        close = "]" if m.group(2) == "[" else ")"
        end = text.find(close, m.end())
        if end < 0:
            raise IrconvError("%s '%s': missing '%s'" % (flag, text, close))
        out[name] = text[m.end(2) - 1:end + 1]
        pos = end + 1
        while pos < len(text) and text[pos] in ", ":
            pos += 1
    if pos < len(text):
        if not out and re.match(r"^[A-Za-z?.]+(->[A-Za-z?.]+)?$", text):   # bare layout: nhwc, nhwc->nchw
            return {None: text}
        raise IrconvError("%s '%s': expected [v1,v2,...] or name[v1,v2,...],..." % (flag, text))
    return out


def _values(text, flag):
    body = text.strip()[1:-1]
    try:
        return [float(x) for x in re.split(r"[,\s]+", body.strip()) if x]
    except ValueError:
        raise IrconvError("%s: cannot read numbers in '%s'" % (flag, text)) from None


class Layout:
    """A layout like 'nchw', '[n,c,h,w]', 'n...c', '?c??' (letters are dimension names)."""

    def __init__(self, text):
        t = text.strip().lower()
        if t.startswith("[") and t.endswith("]"):
            dims = [d.strip() for d in t[1:-1].split(",")]
        else:
            dims = []
            i = 0
            while i < len(t):
                if t.startswith("...", i):
                    dims.append("...")
                    i += 3
                else:
                    dims.append(t[i])
                    i += 1
        if dims.count("...") > 1 or not dims:
            raise IrconvError("bad layout '%s'" % text)
        self.dims = dims

    def index(self, letter, rank):
        """Index of dimension `letter` for a tensor of `rank`, or None."""
        d = self.dims
        if "..." in d:
            k = d.index("...")
            head, tail = d[:k], d[k + 1:]
            if letter in head:
                return head.index(letter)
            if letter in tail and rank is not None:
                return rank - len(tail) + tail.index(letter)
            return None
        return d.index(letter) if letter in d else None

    def ir(self, rank):
        """'[N,C,H,W]' as the IR writes it."""
        d = self.dims
        if "..." in d and rank is not None:
            k = d.index("...")
            d = d[:k] + ["?"] * (rank - len(d) + 1) + d[k + 1:]
        return "[" + ",".join(x.upper() if x not in ("?", "...") else x for x in d) + "]"


def _parse_layouts(opts):
    """-> {name or None: (source Layout or None, target Layout or None)}"""
    res = {}
    if opts.get("layout") and (opts.get("source_layout") or opts.get("target_layout")):
        raise IrconvError("--layout cannot be combined with --source_layout or --target_layout")
    if opts.get("layout"):
        for name, v in _split_named(opts["layout"], "--layout").items():
            v = v.strip("()[]") if not v.startswith("[") or "->" in v else v
            if "->" in v:
                a, b = v.split("->", 1)
                res[name] = (Layout(a), Layout(b))
            else:
                res[name] = (Layout(v), None)
    for flag, slot in (("source_layout", 0), ("target_layout", 1)):
        if opts.get(flag):
            for name, v in _split_named(opts[flag], "--" + flag).items():
                v = v[1:-1] if v.startswith("(") else v
                cur = list(res.get(name, (None, None)))
                cur[slot] = Layout(v)
                res[name] = tuple(cur)
    return res


def _param_names(p):
    return {p.name} | set(p.output(0).names)


def _for_param(table, p, single):
    for k, v in table.items():
        if k is not None and k in _param_names(p):
            return v
    return table.get(None) if (single or None in table) else None


def _check_names(table, params, flag):
    known = set()
    for p in params:
        known |= _param_names(p)
    for k in table:
        if k is not None and k not in known:
            raise IrconvError("%s names '%s', which is not an input of the model (inputs: %s)"
                              % (flag, k, ", ".join(sorted(p.name for p in params))))


def _redirect(graph, src, new_out, first):
    """Consumers of `src` (except the chain starting at `first`) read `new_out` instead."""
    for node, port in src.consumers():
        if node.id != first.id:
            graph.set_input(node, port, new_out)


def apply(graph, framework, opts, original=None):
    """Applies --batch, layouts, --reverse_input_channels, --mean_values, --scale_values, --scale.
    original: names of the model's own inputs (before any cut); --scale applies only to those.
    Returns True when the graph changed."""
    params = list(graph.parameters)
    if not params:
        return False
    layouts = _parse_layouts(opts)
    means = _split_named(opts["mean_values"], "--mean_values") if opts.get("mean_values") else {}
    scales = _split_named(opts["scale_values"], "--scale_values") if opts.get("scale_values") else {}
    for table, flag in ((layouts, "--layout"), (means, "--mean_values"), (scales, "--scale_values")):
        _check_names(table, params, flag)
    single = len(params) == 1
    changed = False
    batch = opts.get("batch")
    if batch is not None:
        if int(batch) <= 0:
            raise IrconvError("--batch must be positive, got %s" % batch)
        changed |= _set_batch(graph, params, layouts, single, int(batch))
        params = list(graph.parameters)

    for i, p in enumerate(params):
        out = p.output(0)
        rank = None if out.shape is None else len(out.shape)
        src_l, dst_l = _for_param(layouts, p, single) or (None, None)
        if dst_l is not None and src_l is None:
            raise IrconvError("--target_layout for input '%s' needs its --source_layout" % p.name)
        if src_l is not None:
            if rank is not None and "..." not in src_l.dims and len(src_l.dims) != rank:
                raise IrconvError("layout %s of input '%s' does not match its rank %d"
                                  % (src_l.ir(rank), p.name, rank))
        # the channel axis in the model's (source) layout
        cdim = None
        if src_l is not None:
            cdim = src_l.index("c", rank)
        head = out            # the chain's current end
        first = None          # the first node of the chain (its input stays the Parameter)

        def chain(node):
            nonlocal head, first
            if first is None:
                first = node
            head = node.output(0)

        if opts.get("reverse_input_channels"):
            ax = cdim if cdim is not None else _guess_channel_axis(out.shape, framework, 3)
            if ax is not None and out.shape is not None and out.shape[ax] == 3:
                idx = graph.constant(np.array([2, 1, 0], dtype=np.int64), name=p.name + "/reverse_input_channels/indices")
                axc = graph.constant(np.array(ax, dtype=np.int64), name=p.name + "/reverse_input_channels/axis")
                chain(graph.op("Gather", [head, idx.output(0), axc.output(0)], {"batch_dims": 0},
                               name=p.name + "/reverse_input_channels", version="opset8"))
        for table, flag, op, suffix in ((means, "--mean_values", "Subtract", "mean"),
                                        (scales, "--scale_values", "Divide", "scale")):
            text = _for_param(table, p, single)
            if text is None:
                continue
            vals = _values(text, flag)
            ax = cdim if cdim is not None else _guess_channel_axis(out.shape, framework, len(vals))
            if len(vals) == 1:
                shape = []
            else:
                if ax is None or out.shape is None or (out.shape[ax] not in (-1, len(vals))):
                    raise IrconvError("%s gives %d values but input '%s' (shape %s) has no channel dimension of that size"
                                      % (flag, len(vals), p.name, out.shape))
                shape = [1] * (len(out.shape) - ax)
                shape[0] = len(vals)
            et = out.element_type
            np_t = {"f16": np.float16, "f64": np.float64}.get(et, np.float32)
            c = graph.constant(np.array(vals, dtype=np_t).reshape(shape), name="%s/%s_values" % (p.name, suffix))
            x = head
            if et not in ("f32", "f16", "f64", "bf16"):
                x = graph.op("Convert", [head], {"destination_type": "f32"}, name="%s/%s/convert" % (p.name, suffix)).output(0)
                if first is None:
                    first = x.node
            chain(graph.op(op, [x, c.output(0)], {"auto_broadcast": "numpy"}, name="%s/%s" % (p.name, suffix)))
        scale = opts.get("scale")
        if scale is not None and (original is None or _param_names(p) & set(original)):
            if float(scale) == 0.0:
                raise IrconvError("--scale must not be 0")
            c = graph.constant(np.array(float(scale), dtype=np.float32), name=p.name + "/scale_value")
            chain(graph.op("Divide", [head, c.output(0)], {"auto_broadcast": "numpy"}, name=p.name + "/scale"))
        if first is not None:
            _redirect(graph, out, head, first)
            changed = True
        if src_l is not None:
            if dst_l is not None and dst_l.dims != src_l.dims:
                changed |= _transpose_to(graph, p, src_l, dst_l)
            else:
                _set_layout(graph.parameters[i].output(0), src_l.ir(rank))
    if changed:
        graph.infer_all()
    return changed


def _guess_channel_axis(shape, framework, n):
    if shape is None or len(shape) < 3:
        return None if shape is None or len(shape) < 2 else (len(shape) - 1 if framework in _CHANNELS_LAST else 1)
    pref = len(shape) - 1 if framework in _CHANNELS_LAST else 1
    other = 1 if pref != 1 else len(shape) - 1
    if shape[pref] in (n, -1):
        return pref
    if shape[other] == n:
        return other
    return pref


def _set_layout(output, text):
    add = getattr(output, "add_rt_info", None)
    if add is not None:
        add("layout", "0", [("layout", text)])


def _set_batch(graph, params, layouts, single, batch):
    changed = False
    for p in params:
        out = p.output(0)
        if out.shape is None or len(out.shape) == 0:
            continue
        src_l = (_for_param(layouts, p, single) or (None, None))[0]
        ax = src_l.index("n", len(out.shape)) if src_l is not None else 0
        if ax is None:
            continue
        if out.shape[ax] == batch:
            continue
        shape = list(out.shape)
        shape[ax] = batch
        _replace_parameter(graph, p, out.element_type, shape)
        changed = True
    if changed:
        graph.infer_all()
    return changed


def _replace_parameter(graph, p, et, shape):
    """A new Parameter with `shape` takes p's place (position, names, consumers)."""
    params = list(graph.parameters)
    pos = [q.id for q in params].index(p.id)
    new = graph.parameter(p.name, et, shape)
    graph.replace_uses(p.output(0), new.output(0), move_names=True)
    params = [q for q in graph.parameters if q.id != p.id and q.id != new.id]
    params.insert(pos, new)
    graph.set_parameters(params)
    return new


def _transpose_to(graph, p, src_l, dst_l):
    """The IR input takes dst layout; a Transpose brings it back to the model's src layout."""
    out = p.output(0)
    if out.shape is None:
        raise IrconvError("cannot change the layout of input '%s': its rank is unknown" % p.name)
    rank = len(out.shape)
    s, d = src_l.dims, dst_l.dims
    if "..." in s or "..." in d or len(s) != rank or len(d) != rank or sorted(s) != sorted(d) or "?" in s:
        raise IrconvError("cannot convert input '%s' from layout %s to %s: give both layouts in full, with the same letters"
                          % (p.name, src_l.ir(rank), dst_l.ir(rank)))
    to_dst = [s.index(x) for x in d]              # new shape = old shape permuted
    back = [d.index(x) for x in s]                # Transpose(new) -> old layout
    new_shape = [out.shape[k] for k in to_dst]
    new = _replace_parameter(graph, p, out.element_type, new_shape)
    perm = graph.constant(np.array(back, dtype=np.int64), name=p.name + "/layout_perm")
    tr = graph.op("Transpose", [new.output(0), perm.output(0)], name=p.name + "/to_" + "".join(s))
    _redirect(graph, new.output(0), tr.output(0), tr)
    _set_layout(new.output(0), dst_l.ir(rank))
    return True
