"""Control flow: TF1 while loops (Enter/Merge/Switch/LoopCond/NextIteration/Exit frames) and
TensorArrays, TF2 functional While/StatelessWhile, If/StatelessIf and TensorLists -> OpenVINO
Loop-5 / If-8 with bodies.

A TF1 loop is found from one of its Exit nodes: Exit <- Switch(Merge, LoopCond) <- Merge(Enter,
NextIteration). Its body is translated into a separate core graph where the Merges are body
Parameters (back edges = the NextIteration inputs) and loop-invariant Enters become Parameters
fed from outside when the body uses them. TF checks the condition before each iteration, a Loop
after it: the condition is translated twice, on the initial values (outside) and on the next
values (inside, the Loop's execution condition).

TensorArrays (TF1) and TensorLists (TF2) are frontend objects, not tensors: a scattered/unstacked
array read inside a loop becomes a Gather of the invariant input at the index; an array written
at the iteration index inside a loop becomes a Loop output concatenated over iterations."""
import numpy as np

from irconv.errors import IrconvError

from ..context import Scope, Thunk
from ..registry import tf_op


def _core():
    from irconv import _core as core  # noqa: PLC0415
    return core


def _is_tensor(v):
    return hasattr(v, "element_type")


# ---------------------------------------------------------------- TensorArray / TensorList objects

class TensorArray:
    """A TF1 TensorArray (outside loops) or a TF2 TensorList value: element dtype, size and the
    stacked data [size, ...] once known."""

    def __init__(self, et, size=None, element_shape=None, data=None):
        self.et = et
        self.size = size
        self.element_shape = element_shape
        self.data = data
        self.writes = []          # (index value, Output) written outside loops

    def loop_filled(self, ctx, data):
        """The array after a loop wrote rows 0 .. n-1 of it: `data` [n, ...] padded with zero rows up to
        the array's size (TF reads elements nothing wrote as zeros, e.g. dynamic_rnn's outputs past
        the longest sequence; a dynamic-size array is as long as what was written)."""
        size = self.size
        if size is None or not _is_tensor(size):
            return data
        sv = ctx.value(size)
        if sv is not None and int(np.asarray(sv).reshape(-1)[0]) == 0:
            return data
        r = ctx.rank(data)
        if r is None:
            raise IrconvError("a TensorArray/TensorList written in a loop has an element of unknown rank")
        n = ctx.dim(data, 0)
        want = ctx.reshape(ctx.convert(size, "i64"), [1])
        extra = ctx.binary("Maximum", ctx.binary("Subtract", want, n), ctx.i64([0]))
        end = ctx.concat([extra, ctx.i64([0] * (r - 1))], 0) if r > 1 else extra
        return ctx.op1("Pad", [data, ctx.i64([0] * r), end, ctx.const(0, data)], {"pad_mode": "constant"})

    def stacked(self, ctx, what):
        if self.data is not None:
            return self.data
        if self.writes:
            idx = [w[0] for w in self.writes]
            if any(i is None for i in idx):
                raise IrconvError("%s: TensorArray written at indices unknown at conversion time" % what)
            order = np.argsort(idx)
            return ctx.concat([ctx.unsqueeze(self.writes[i][1], [0]) for i in order], 0)
        raise IrconvError("%s: reads a TensorArray/TensorList that nothing filled" % what)


class BodyArray:
    """A TensorArray / TensorList seen from inside a loop body."""

    def __init__(self, outer, builder):
        self.outer = outer
        self.builder = builder
        self.writes = []          # values written at the iteration index, one per iteration
        self.et = outer.et
        self.element_shape = outer.element_shape

    def read(self, ctx, index):
        if self.outer.data is None and not self.outer.writes:
            raise IrconvError("reads a TensorArray/TensorList inside a loop that nothing filled before the loop")
        data = self.builder.capture(self.outer.stacked(ctx, "loop body"))
        return ctx.gather(data, ctx.to_scalar(index), 0)

    def write(self, value):
        self.writes.append(value)
        return self


def _flow(ctx):
    return ctx.const(np.float32(0.0))


# ---------------------------------------------------------------- loop building (shared by TF1/TF2)

class LoopBody:
    """A body graph under construction: parameters for loop-carried values and for outer values the
    body captures (added as the body asks for them)."""

    def __init__(self, ctx, name):
        self.ctx = ctx
        self.body = _core().Graph(name)
        self.outer_graph = ctx.g
        self.captures = []        # (outer Output, body Parameter node)
        self._cap = {}
        self.arrays = []          # BodyArray objects created for this body

    def param(self, name, out):
        p = self.body.parameter(name, out.element_type, out.shape)
        return p

    def capture(self, outer):
        if not _is_tensor(outer):
            raise IrconvError("internal: a loop body captures a %s" % type(outer).__name__)
        key = (id(outer.node), outer.index)
        hit = self._cap.get(key)
        if hit is not None:
            return hit[1].output(0)
        p = self.body.parameter("%s/capture_%d" % (self.body.name, len(self.captures)), outer.element_type, outer.shape)
        self._cap[key] = (outer, p)
        self.captures.append((outer, p))
        return p.output(0)

    def array(self, outer):
        for a in self.arrays:
            if a.outer is outer:
                return a
        a = BodyArray(outer, self)
        self.arrays.append(a)
        return a

    def bind_outer(self, v):
        """How an outer value is seen inside the body."""
        if _is_tensor(v):
            return self.capture(v)
        if isinstance(v, TensorArray):
            return self.array(v)
        return v       # resources and other objects pass through (they make their own body consts)

    def make_loop(self, init_cond, carried, name):
        """carried: [(init Output, body Parameter, next Output)]. Returns (loop node, index of the
        first concatenated array output, [arrays with writes])."""
        ctx = self.ctx
        body = self.body
        results_next = []
        for init, p, nxt in carried:
            nxt = self._body_value(nxt, p)
            results_next.append(body.result(nxt))
        written = [a for a in self.arrays if a.writes]
        r_writes = []
        for a in written:
            if len(a.writes) != 1:
                raise IrconvError("a loop writes the same TensorArray/TensorList %d times per iteration; only one "
                                  "write at the iteration index is supported" % len(a.writes))
            v = a.writes[0]
            r_writes.append(body.result(self._unsq(v)))
        cond = self.cond_next
        if cond.element_type != "boolean":
            cond = body.op("Convert", [cond], {"destination_type": "boolean"}).output(0)
        if cond.shape not in (None, []):
            cond = body.op("Reshape", [cond, body.constant(np.zeros(0, np.int64)).output(0)],
                           {"special_zero": False}).output(0)
        r_cond = body.result(cond)
        saved_g = ctx.g
        ctx.g = self.outer_graph
        try:
            trip = ctx.const(np.int64(-1))
            c0 = init_cond
            if c0.element_type != "boolean":
                c0 = ctx.convert(c0, "boolean")
            if c0.shape not in (None, []):
                c0 = ctx.reshape(c0, np.zeros(0, np.int64))
            inputs = [trip, c0] + [c[0] for c in carried] + [c[0] for c in self.captures]
            k = len(carried)
            input_map = [{"outer": 2 + i, "param": c[1], "back_edge": r} for i, (c, r) in
                         enumerate(zip(carried, results_next))]
            input_map += [{"outer": 2 + k + j, "param": p} for j, (_, p) in enumerate(self.captures)]
            output_map = [{"outer": i, "result": r} for i, r in enumerate(results_next)]
            output_map += [{"outer": k + j, "result": r, "axis": 0} for j, r in enumerate(r_writes)]
            output_map.append({"result": r_cond, "purpose": "execution_condition"})
            loop = ctx.g.op_with_bodies("Loop", inputs, [body], input_map, output_map, name=name, version="opset5")
            ctx.created.append(loop)
        finally:
            ctx.g = saved_g
        return loop, k, written

    def _unsq(self, v):
        body = self.body
        return body.op("Unsqueeze", [v, body.constant(np.array([0], np.int64)).output(0)]).output(0)

    def _body_value(self, v, p):
        if _is_tensor(v):
            return v
        raise IrconvError("a loop variable's next value is a %s, not a tensor" % type(v).__name__)


# ---------------------------------------------------------------- TF1 while loops

# inputs a while-loop node must have (its data/predicate inputs; control inputs are not counted)
_LOOP_ARITY = {"Enter": 1, "RefEnter": 1, "Exit": 1, "RefExit": 1, "NextIteration": 1, "RefNextIteration": 1,
               "Switch": 2, "RefSwitch": 2, "Merge": 1, "RefMerge": 1, "LoopCond": 1}


class _Frame:
    def __init__(self, tr, ctx, scope, exit_node):
        self.tr, self.ctx, self.scope = tr, ctx, scope
        nodes = scope.nodes
        for n in nodes.values():
            need = _LOOP_ARITY.get(n.op)
            if need is not None and len(n.inputs) < need:
                raise IrconvError("%s: a %s node needs %d input(s), it has %d"
                                  % (n.describe(), n.op, need, len(n.inputs)))
            if need is not None:
                for src, _ in n.inputs:
                    if src not in nodes:
                        raise IrconvError("%s: input '%s' is not a node of the graph" % (n.describe(), src))
        sw = nodes.get(exit_node.inputs[0][0])
        if sw is None or sw.op not in ("Switch", "RefSwitch"):
            raise IrconvError("%s: Exit is not fed by a Switch" % exit_node.describe())
        merge = nodes.get(sw.inputs[0][0])
        if merge is None or merge.op not in ("Merge", "RefMerge"):
            raise IrconvError("%s: the loop Switch is not fed by a Merge" % exit_node.describe())
        enter = None
        for src, _ in merge.inputs:
            if nodes[src].op in ("Enter", "RefEnter"):
                enter = nodes[src]
        if enter is None:
            raise IrconvError("%s: the loop Merge '%s' has no Enter input" % (exit_node.describe(), merge.name))
        self.name = enter.attr("frame_name")
        self.loop_cond = nodes[sw.inputs[1][0]]
        cons = tr.consumers(nodes)
        self.vars = []            # (enter, merge, switch, next_iteration, exit or None)
        self.consts = []
        for n in nodes.values():
            if n.op not in ("Enter", "RefEnter") or n.attr("frame_name", "") != self.name:
                continue
            if n.attr("is_constant", False):
                self.consts.append(n)
                continue
            merges = [nodes[c] for c, _ in cons.get(n.name, []) if nodes[c].op in ("Merge", "RefMerge")]
            if not merges:
                continue
            m = merges[0]
            nxt = [nodes[s] for s, _ in m.inputs if nodes[s].op in ("NextIteration", "RefNextIteration")]
            if len(nxt) != 1:
                raise IrconvError("loop '%s': Merge '%s' has no NextIteration input" % (self.name, m.name))
            sws = [nodes[c] for c, _ in cons.get(m.name, []) if nodes[c].op in ("Switch", "RefSwitch")]
            sws = [s for s in sws if s.inputs[1][0] == self.loop_cond.name]
            if len(sws) != 1:
                raise IrconvError("loop '%s': Merge '%s' feeds %d loop Switches" % (self.name, m.name, len(sws)))
            s = sws[0]
            ex = [nodes[c] for c, i in cons.get(s.name, []) if nodes[c].op in ("Exit", "RefExit")]
            self.vars.append((n, m, s, nxt[0], ex[0] if ex else None))
        if not self.vars:
            raise IrconvError("loop '%s' has no loop variables" % self.name)
        self.exit_index = {v[4].name: i for i, v in enumerate(self.vars) if v[4] is not None}
        self.outputs = None

    def _const_bindings(self, resolve):
        return {(e.name, 0): Thunk(lambda e=e: resolve(e)) for e in self.consts}

    def build(self):
        tr, ctx, scope = self.tr, self.ctx, self.scope
        prefix = scope.prefix
        inits = []
        for e, m, s, nx, ex in self.vars:
            v = tr.get(scope, e.inputs[0])
            if not _is_tensor(v):
                raise IrconvError("loop '%s': loop variable '%s' starts from a %s, not a tensor"
                                  % (self.name, e.name, type(v).__name__))
            inits.append(v)

        def outer_value(e):
            return tr.get(scope, e.inputs[0])

        # the condition on the initial values, outside
        b0 = {(m.name, 0): v for (e, m, s, nx, ex), v in zip(self.vars, inits)}
        b0.update(self._const_bindings(outer_value))
        cond0 = tr.get(Scope(scope.nodes, prefix, b0, scope.op_defs, scope.name, scope.graph),
                       self.loop_cond.inputs[0])
        # the body
        lb = LoopBody(ctx, self.name)
        params = [lb.param(e.name, v) for (e, m, s, nx, ex), v in zip(self.vars, inits)]
        bb = {}
        for (e, m, s, nx, ex), p in zip(self.vars, params):
            bb[(m.name, 0)] = p.output(0)
            bb[(s.name, 1)] = p.output(0)
        bb.update(self._const_bindings(lambda e: lb.bind_outer(outer_value(e))))
        body_scope = Scope(scope.nodes, prefix, bb, scope.op_defs, scope.name, lb.body)
        nexts = [tr.get(body_scope, nx.inputs[0]) for (e, m, s, nx, ex) in self.vars]
        bc = {(m.name, 0): v for (e, m, s, nx, ex), v in zip(self.vars, nexts)}
        bc.update({k: body_scope.values.get(k, t) for k, t in self._const_bindings(
            lambda e: lb.bind_outer(outer_value(e))).items()})
        lb.cond_next = tr.get(Scope(scope.nodes, prefix, bc, scope.op_defs, scope.name, lb.body),
                              self.loop_cond.inputs[0])
        carried = [(v, p, n) for v, p, n in zip(inits, params, nexts)]
        loop, k, written = lb.make_loop(cond0, carried, prefix + self.name)
        for j, a in enumerate(written):
            a.outer.data = a.outer.loop_filled(ctx, loop.output(k + j))
        self.outputs = [loop.output(i) for i in range(len(self.vars))]


@tf_op("Exit", "RefExit")
def exit_(ctx, node):
    tr = ctx.translator
    scope = ctx.scope
    # find (or build) the frame this Exit closes
    for fr in scope.frames.values():
        if node.tf.name in fr.exit_index:
            return fr.outputs[fr.exit_index[node.tf.name]]
    fr = _Frame(tr, ctx, scope, node.tf)
    scope.frames[fr.name] = fr
    fr.build()
    return fr.outputs[fr.exit_index[node.tf.name]]


@tf_op("Enter", "RefEnter", "NextIteration", "RefNextIteration")
def _loop_internal(ctx, node):
    raise IrconvError("this node is only supported as part of a while loop (Enter -> Merge -> Switch -> Exit)")


@tf_op("LoopCond")
def loop_cond(ctx, node):
    return node.input(0)


@tf_op("Switch", "RefSwitch")
def switch(ctx, node):
    """A TF1 cond outside loops: with a predicate known at conversion time the other side is dead."""
    data, pred = node.input_obj(0), node.input(1)
    pv = ctx.value(pred)
    if pv is None:
        raise IrconvError("a data-dependent TF1 cond (Switch/Merge) is not supported; only while loops and "
                          "conds whose predicate is known at conversion time")
    taken = bool(np.asarray(pv).reshape(-1)[0])
    return [Dead() if taken else data, data if taken else Dead()]


class Dead:
    """The untaken side of a Switch."""


@tf_op("Merge", "RefMerge")
def merge(ctx, node):
    for i in range(node.num_inputs):
        v = node.input_obj(i)
        if not isinstance(v, Dead):
            return [v, ctx.i32(i)]
    return [Dead(), Dead()]


# ---------------------------------------------------------------- TensorArrays (TF1)

@tf_op("TensorArrayV3")
def tensor_array(ctx, node):
    ta = TensorArray(node.et("dtype"), node.input(0), node.attr("element_shape", None))
    return [ta, _flow(ctx)]


def _array(node, i=0):
    # the flow input (last) orders array operations: reading it first makes sure the writes and
    # scatters before this node are translated (loop-invariant inputs are translated lazily)
    if node.op.startswith("TensorArray") and node.num_inputs > 1:
        node.input_obj(node.num_inputs - 1)
    a = node.input_obj(i)
    if not isinstance(a, (TensorArray, BodyArray)):
        raise IrconvError("input %d is a %s, not a TensorArray/TensorList" % (i, type(a).__name__))
    return a


def _is_full_range(ctx, node, i):
    """Input i of the node is Range(0, n, 1) (the indices of an unstack / stack)."""
    ref = node.tf.inputs[i]
    r = ctx.scope.nodes.get(ref[0])
    if r is None or r.op != "Range":
        v = node.input_value(i)
        return v is not None and v.ndim == 1 and np.array_equal(v, np.arange(v.size))
    start = ctx.value(ctx.value_of(r.inputs[0]))
    delta = ctx.value(ctx.value_of(r.inputs[2]))
    return start is not None and delta is not None and int(start) == 0 and int(delta) == 1


@tf_op("TensorArrayScatterV3")
def tensor_array_scatter(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        raise IrconvError("scattering into a TensorArray inside a loop is not supported")
    value = node.input(2)
    if _is_full_range(ctx, node, 1):
        ta.data = value
    else:
        idx = ctx.convert(node.input(1), "i64")
        shape = ctx.concat([ctx.convert(ctx.reshape(ta.size, [1]), "i64"),
                            ctx.op1("Slice", [ctx.shape_of(value), ctx.i64([1]), ctx.i64([2 ** 62]), ctx.i64([1])])], 0)
        zeros = ctx.op1("Broadcast", [ctx.const(0, value), shape], {"mode": "numpy"}, version="opset3")
        ta.data = ctx.op1("ScatterUpdate", [zeros, idx, value, ctx.i64(0)])
    return node.input_obj(3)


@tf_op("TensorArrayReadV3")
def tensor_array_read(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        return ta.read(ctx, node.input(1))
    return ctx.gather(ta.stacked(ctx, node.describe()), ctx.to_scalar(node.input(1)), 0)


@tf_op("TensorArrayWriteV3")
def tensor_array_write(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        ta.write(node.input(2))
    else:
        iv = node.input_value(1)
        ta.writes.append((None if iv is None else int(iv), node.input(2)))
    return node.input_obj(3)


@tf_op("TensorArrayGatherV3")
def tensor_array_gather(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        raise IrconvError("gathering a TensorArray inside the loop that writes it is not supported")
    data = ta.stacked(ctx, node.describe())
    if _is_full_range(ctx, node, 1):
        return data
    return ctx.gather(data, node.input(1), 0)


@tf_op("TensorArraySizeV3")
def tensor_array_size(ctx, node):
    ta = _array(node)
    t = ta.outer if isinstance(ta, BodyArray) else ta
    if t.size is not None:
        return t.size
    return ctx.convert(ctx.dim(t.stacked(ctx, node.describe()), 0), "i32")


@tf_op("TensorArrayCloseV3")
def tensor_array_close(ctx, node):
    return []


# ---------------------------------------------------------------- TensorLists (TF2)

@tf_op("TensorListReserve", "EmptyTensorList")
def tensor_list_reserve(ctx, node):
    size = node.input(1) if node.op == "TensorListReserve" else None
    return TensorArray(node.et("element_dtype"), size, None)


@tf_op("TensorListFromTensor")
def tensor_list_from_tensor(ctx, node):
    x = node.input(0)
    return TensorArray(ctx.et(x), ctx.convert(ctx.dim(x, 0), "i32"), None, x)


@tf_op("TensorListGetItem")
def tensor_list_get_item(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        return ta.read(ctx, node.input(1))
    return ctx.gather(ta.stacked(ctx, node.describe()), ctx.to_scalar(node.input(1)), 0)


@tf_op("TensorListSetItem")
def tensor_list_set_item(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        return ta.write(node.input(2))
    iv = node.input_value(1)
    new = TensorArray(ta.et, ta.size, ta.element_shape, None)
    new.writes = list(ta.writes) + [(None if iv is None else int(iv), node.input(2))]
    if ta.data is not None:
        raise IrconvError("setting an item of a filled TensorList outside loops is not supported")
    return new


@tf_op("TensorListStack")
def tensor_list_stack(ctx, node):
    ta = _array(node)
    if isinstance(ta, BodyArray):
        raise IrconvError("stacking a TensorList inside the loop that writes it is not supported")
    return ta.stacked(ctx, node.describe())


@tf_op("TensorListLength")
def tensor_list_length(ctx, node):
    ta = _array(node)
    t = ta.outer if isinstance(ta, BodyArray) else ta
    if t.size is not None:
        return ctx.convert(ctx.to_scalar(t.size), "i32")
    return ctx.convert(ctx.to_scalar(ctx.dim(t.stacked(ctx, node.describe()), 0)), "i32")


@tf_op("TensorListElementShape")
def tensor_list_element_shape(ctx, node):
    ta = _array(node)
    t = ta.outer if isinstance(ta, BodyArray) else ta
    data = t.stacked(ctx, node.describe())
    s = ctx.shape_of(data, node.et("shape_type", "i32"))
    return ctx.op1("Slice", [s, ctx.i64([1]), ctx.i64([2 ** 62]), ctx.i64([1])])


# ---------------------------------------------------------------- TF2 functional control flow

def _values(thunks):
    return [t.fn() if isinstance(t, Thunk) else t for t in thunks]


@tf_op("While", "StatelessWhile")
def while_(ctx, node):
    tr = ctx.translator
    cond_f, body_f = node.attr("cond").name, node.attr("body").name
    args = [node.input_obj(i) for i in range(node.num_inputs)]
    cond0 = _values(ctx.call_function(cond_f, args, node.name + "/cond/", node.describe()))[0]
    lb = LoopBody(ctx, node.name + "/body")
    saved_g = ctx.g
    ctx.g = lb.body
    try:
        body_args, kinds = [], []
        for i, a in enumerate(args):
            if _is_tensor(a):
                p = lb.param("%s/arg_%d" % (node.name, i), a)
                body_args.append(p.output(0))
                kinds.append(("tensor", p))
            elif isinstance(a, TensorArray):
                body_args.append(lb.array(a))
                kinds.append(("array", a))
            else:
                body_args.append(a)
                kinds.append(("object", a))
        outs = _values(tr.call_function(body_f, body_args, node.name + "/body/", node.describe()))
        lb.cond_next = _values(tr.call_function(cond_f, outs, node.name + "/cond_next/", node.describe()))[0]
    finally:
        ctx.g = saved_g
    carried, where = [], []
    for i, (kind, x) in enumerate(kinds):
        if kind == "tensor":
            carried.append((args[i], x, outs[i]))
            where.append(("loop", len(carried) - 1))
        else:
            where.append((kind, x))
    loop, k, written = lb.make_loop(cond0, carried, node.name)
    arrays = {id(a.outer): loop.output(k + j) for j, a in enumerate(written)}
    result = []
    for kind, x in where:
        if kind == "loop":
            result.append(loop.output(x))
        elif kind == "array":
            if id(x) in arrays:
                result.append(TensorArray(x.et, x.size, x.element_shape, x.loop_filled(ctx, arrays[id(x)])))
            else:
                result.append(x)
        else:
            result.append(x)
    return result


@tf_op("If", "StatelessIf")
def if_(ctx, node):
    cond = node.input(0)
    args = [node.input_obj(i) for i in range(1, node.num_inputs)]
    then_f, else_f = node.attr("then_branch").name, node.attr("else_branch").name
    cv = ctx.value(cond)
    if cv is not None:
        taken = bool(np.asarray(cv).reshape(-1)[0]) if cv.size else False
        f = then_f if taken else else_f
        return ctx.call_function(f, args, node.name + ("/then/" if taken else "/else/"), node.describe())
    tr = ctx.translator
    bodies, maps_in, results = [], [], []
    tensor_args = [i for i, a in enumerate(args) if _is_tensor(a)]
    for b, f in enumerate((then_f, else_f)):
        body = _core().Graph("%s/%s" % (node.name, "then" if b == 0 else "else"))
        saved_g = ctx.g
        ctx.g = body
        try:
            bargs = []
            for i, a in enumerate(args):
                if _is_tensor(a):
                    p = body.parameter("%s/arg_%d" % (body.name, i), a.element_type, a.shape)
                    bargs.append(p.output(0))
                    maps_in.append({"outer": 1 + tensor_args.index(i), "param": p, "body": b})
                else:
                    bargs.append(a)
            outs = _values(tr.call_function(f, bargs, "%s/%s/" % (node.name, "then" if b == 0 else "else"),
                                            node.describe()))
            rs = []
            for o in outs:
                if not _is_tensor(o):
                    raise IrconvError("an If branch returns a %s; only tensors are supported" % type(o).__name__)
                rs.append(body.result(o))
        finally:
            ctx.g = saved_g
        bodies.append(body)
        results.append(rs)
    if len(results[0]) != len(results[1]):
        raise IrconvError("the branches return %d and %d values" % (len(results[0]), len(results[1])))
    c = ctx.to_scalar(ctx.convert(cond, "boolean"))
    inputs = [c] + [args[i] for i in tensor_args]
    output_map = []
    for j in range(len(results[0])):
        output_map.append({"outer": j, "result": results[0][j], "body": 0})
        output_map.append({"outer": j, "result": results[1][j], "body": 1})
    n = ctx.g.op_with_bodies("If", inputs, bodies, maps_in, output_map, name=node.name, version="opset8")
    ctx.created.append(n)
    return [n.output(j) for j in range(len(results[0]))]
