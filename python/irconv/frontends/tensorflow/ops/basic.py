"""Graph inputs, constants, identities, variables and function calls."""
import numpy as np

from irconv.errors import IrconvError

from ..registry import tf_op
from ..tensors import NP_TO_ET, RawConst, StringConst, et_of


@tf_op("Placeholder", "PlaceholderV2")
def placeholder(ctx, node):
    et = node.et("dtype")
    shape = node.attr("shape", None)
    name = node.name
    names = [name, name + ":0"]
    key = ctx.sig_inputs.get((node.tf.name, 0)) if ctx.scope.name == "main" else None
    if key is not None:
        names = [key] + names
        name = key
    if ctx.scope.name == "main" and ctx.unnamed_shapes and node.tf.name in ctx.placeholder_order:
        i = ctx.placeholder_order.index(node.tf.name)
        for s in ctx.unnamed_shapes:
            if s.index == i:
                shape = s.static_shape()
                s.applied = True
    p = ctx.g.parameter(name, et, shape)
    p.output(0).set_names(list(dict.fromkeys(names)))
    ctx.params.append(p)
    return p.output(0)


@tf_op("PlaceholderWithDefault")
def placeholder_with_default(ctx, node):
    return node.input(0)


@tf_op("Const")
def const(ctx, node):
    v = node.attr("value")
    dt = node.attr("dtype", None)
    if isinstance(v, np.ndarray) and dt is not None:
        et = et_of(dt, node.describe())
        if et in ("f32", "f64", "i32", "i64") and str(v.dtype) != {"f32": "float32", "f64": "float64",
                                                                    "i32": "int32", "i64": "int64"}[et]:
            v = v.astype({"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64}[et])
    return ctx.make_const(v, node.name)


@tf_op("Identity", "StopGradient", "PreventGradient", "Snapshot", "CheckNumerics", "EnsureShape",
       "RefIdentity")
def identity(ctx, node):
    return node.input_obj(0)


@tf_op("IdentityN")
def identity_n(ctx, node):
    return [node.input_obj(i) for i in range(node.num_inputs)]


@tf_op("NoOp")
def noop(ctx, node):
    return []


# ---------------------------------------------------------------- variables

class Resource:
    """A resource variable handle (VarHandleOp): reads give the checkpoint value."""

    def __init__(self, node, value_fn):
        self.node = node
        self._fn = value_fn
        self._value = None
        self._outs = {}          # one Const per graph (main graph, loop bodies)

    def read(self, ctx):
        out = self._outs.get(id(ctx.g))
        if out is None:
            if self._value is None:
                self._value = self._fn()
            saved = ctx.node
            ctx.node = None
            out = ctx.make_const(self._value, self.node.name)
            ctx.node = saved
            self._outs[id(ctx.g)] = out
        return out


def _variable_value(ctx, node):
    store = ctx.model.variables
    if store is None:
        raise IrconvError("variable '%s' needs a checkpoint: pass --input_checkpoint (or convert a frozen graph)"
                          % node.tf.name)
    v = store.value(node.tf)
    want = node.attr("dtype", None)
    if want is not None and isinstance(v, np.ndarray):
        et = et_of(want, node.describe())
        if NP_TO_ET.get(v.dtype, et) != et:
            raise IrconvError("checkpoint value of '%s' has type %s, the variable is %s" % (node.tf.name, v.dtype, et))
    shape = node.attr("shape", None)
    vshape = list(v.shape) if isinstance(v, (np.ndarray, RawConst, StringConst)) else None
    if shape is not None and vshape is not None and -1 not in shape and list(shape) != vshape:
        raise IrconvError("checkpoint value of '%s' has shape %s, the variable is %s" % (node.tf.name, vshape, shape))
    return v


@tf_op("Variable", "VariableV2")
def variable(ctx, node):
    return ctx.make_const(_variable_value(ctx, node), node.name)


@tf_op("VarHandleOp")
def var_handle(ctx, node):
    return Resource(node, lambda: _variable_value(ctx, node))


def resource_of(node, i):
    r = node.input_obj(i)
    if not isinstance(r, Resource):
        raise IrconvError("input %d must be a resource variable handle (VarHandleOp), got %s"
                          % (i, type(r).__name__))
    return r


@tf_op("ReadVariableOp")
def read_variable(ctx, node):
    return resource_of(node, 0).read(ctx)


@tf_op("ResourceGather")
def resource_gather(ctx, node):
    data = resource_of(node, 0).read(ctx)
    bd = node.attr("batch_dims", 0)
    return ctx.gather(data, node.input(1), 0 + bd, bd)


# ---------------------------------------------------------------- functions

@tf_op("PartitionedCall", "StatefulPartitionedCall")
def partitioned_call(ctx, node):
    f = node.attr("f")
    args = [node.input_obj(i) for i in range(node.num_inputs)]
    return ctx.call_function(f.name, args, node.name + "/", node.describe())
