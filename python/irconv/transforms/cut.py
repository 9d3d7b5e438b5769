"""The generic --input/--output cut on the core graph, for specs a frontend left unapplied.

Names are matched against core tensor names first, then node friendly names (frontends keep the
framework's names on both). An existing Parameter named by --input gets the new shape/type (or is
frozen to a constant); any other tensor becomes a new Parameter with its real element type unless
{type} says otherwise. --output replaces the model's results, in the order given. Then everything
the results do not need is dropped, and the IR's input order follows --input.
"""
import numpy as np

from ..errors import IrconvError


class _Index:
    def __init__(self, graph):
        self.by_tensor = {}
        self.by_node = {}
        for n in graph.topo_order():
            if n.type == "Result":
                continue
            self.by_node.setdefault(n.name, n)
            for i in range(n.num_outputs):
                for t in n.output(i).names:
                    self.by_tensor.setdefault(t, n.output(i))

    def output(self, name, port, what):
        """The core output a user name (with optional out port) refers to."""
        if port is not None:
            n = self.by_node.get(name)
            if n is not None:
                if port >= n.num_outputs:
                    raise IrconvError("%s '%s:%d': node '%s' has %d output(s)" % (what, name, port, name, n.num_outputs))
                return n.output(port)
            t = self.by_tensor.get("%s:%d" % (name, port))
            if t is not None:
                return t
            if port == 0 and name in self.by_tensor:
                return self.by_tensor[name]
        else:
            if name in self.by_tensor:
                return self.by_tensor[name]
            n = self.by_node.get(name)
            if n is not None:
                return n.output(0)
        raise IrconvError("%s: the model has no node or tensor named '%s'" % (what, name if port is None else "%s:%d" % (name, port)))

    def node(self, name, what):
        n = self.by_node.get(name)
        if n is None:
            t = self.by_tensor.get(name)
            if t is not None:
                n = t.node
        if n is None:
            raise IrconvError("%s: the model has no node named '%s'" % (what, name))
        return n


def _shape_of(spec, fallback):
    s = spec.static_shape()
    return fallback if s is None else s


def _new_parameter(graph, name, et, shape, names):
    p = graph.parameter(name, et, shape)
    if names:
        p.output(0).set_names(list(names))
    return p


def apply_io_specs(graph, inputs, outputs):
    """Applies the specs not yet applied by the frontend. Returns the graph (changed in place)."""
    pending_in = [s for s in inputs if not s.applied]
    pending_out = [s for s in outputs if not s.applied]
    if not pending_in and not pending_out and not any(s.applied for s in inputs):
        return graph
    idx = _Index(graph)
    params = list(graph.parameters)
    order = []          # the IR's input order: parameters named by --input, in the user's order
    renames = []        # (new parameter, name of the one it replaces)
    changed = False
    for s in sorted(inputs, key=lambda x: x.index):
        if s.applied:
            p = getattr(s, "parameter", None)
            if p is not None:
                order.append(p)
            continue
        what = "--input '%s'" % s.describe()
        if s.name is None:                                   # --input_shape alone: i-th model input
            if s.index >= len(params):
                raise IrconvError("--input_shape gives %d shapes but the model has %d input(s)"
                                  % (len([x for x in inputs if x.name is None]), len(params)))
            src = params[s.index].output(0)
            consumers = None
        elif s.in_port is not None:
            n = idx.node(s.name, what)
            if s.in_port >= len(n.inputs):
                raise IrconvError("%s: node '%s' has %d input(s)" % (what, s.name, len(n.inputs)))
            src = n.inputs[s.in_port]
            consumers = [(n, s.in_port)]
        else:
            src = idx.output(s.name, s.out_port, what)
            consumers = None
        et = s.dtype or src.element_type
        is_param = src.node.type == "Parameter" and consumers is None
        if s.value is not None:
            val = np.asarray(s.value)
            np_et = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64, "i32": np.int32,
                     "u8": np.uint8, "i8": np.int8, "boolean": np.bool_}.get(et)
            if np_et is not None:
                val = val.astype(np_et)
            want = src.shape
            if s.shape is None and want is not None and -1 not in want and list(val.shape) != list(want):
                if val.size == int(np.prod(want)):
                    val = val.reshape(want)
                elif val.size == 1:
                    val = np.broadcast_to(val.reshape(()), want).copy()
            c = graph.constant(np.ascontiguousarray(val), name=s.name or src.node.name)
            new = c.output(0)
        else:
            shape = _shape_of(s, src.shape)
            if is_param and shape == src.shape and et == src.element_type:
                order.append(src.node)
                s.applied = True
                continue
            pname = src.node.name if is_param else (s.name if s.out_port is None and s.in_port is None else s.describe())
            # An in-port cut leaves the tensor feeding its other consumers: the new input is named
            # after the cut ("0:node"); otherwise the tensor's names move to the new input.
            names = [s.describe()] if consumers is not None else list(src.names) or [pname]
            new = _new_parameter(graph, pname, et, shape, names).output(0)
            order.append(new.node)
            if is_param:
                renames.append((new.node, src.node.name))
        if consumers is None:
            graph.replace_uses(src, new, move_names=True)
        else:
            for n, port in consumers:
                graph.set_input(n, port, new)
        changed = True
        s.applied = True
    if pending_out:
        olds = list(graph.results)
        news = []
        for s in sorted(outputs, key=lambda x: x.index):
            what = "--output '%s'" % s.describe()
            if s.in_port is not None:
                n = idx.node(s.name, what)
                if s.in_port >= len(n.inputs):
                    raise IrconvError("%s: node '%s' has %d input(s)" % (what, s.name, len(n.inputs)))
                src = n.inputs[s.in_port]
            else:
                src = idx.output(s.name, s.out_port, what)
            if s.name not in src.names and s.out_port is None and s.in_port is None:
                src.add_names([s.name])
            news.append(graph.result(src))
            s.applied = True
        graph.set_results(news)
        del olds
        changed = True
    if changed:
        graph.infer_all()
        # Inputs: the ones named by --input first (user order), then the model's other inputs
        # that the results still need.
        live = _reachable(graph)
        named = {p.id for p in order}
        rest = [p for p in list(graph.parameters) if p.id not in named]
        graph.set_parameters([p for p in order if p.id in live] + [p for p in rest if p.id in live])
        graph.remove_dead()
        for node, name in renames:
            node.name = name
    return graph


def _reachable(graph):
    seen = set()
    stack = [r for r in graph.results]
    while stack:
        n = stack.pop()
        if n.id in seen:
            continue
        seen.add(n.id)
        stack.extend(o.node for o in n.inputs)
    return seen
