"""ONNX functions: model-local FunctionProtos and the function bodies of ONNX ops (e.g. Attention,
loss ops), used for ops that have no translator. A call is expanded into its body: formal inputs
and outputs are bound to the caller's tensors, internal tensors get a unique prefix, attribute
references (ref_attr_name) take the caller's values, and the body's nodes are translated at the
body's own opset versions."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import onnx
import onnx.defs
from onnx import AttributeProto, FunctionProto, NodeProto, TypeProto

from irconv.errors import IrconvError

from .loader import ET_TO_NP, ONNX_TO_ET
from .registry import norm_domain

ET_TO_ONNX = {v: k for k, v in ONNX_TO_ET.items()}


def _schema(op_type: str, domain: str, version: int):
    try:
        return onnx.defs.get_schema(op_type, version, domain)
    except Exception:  # noqa: BLE001 - onnx raises SchemaError for unknown ops
        return None


def _pick(versions: List[int], opset: int) -> Optional[int]:
    if not versions:
        return None
    ok = [v for v in versions if v <= opset]
    return max(ok) if ok else min(versions)


def schema_function_kind(op_type: str, domain: str, opset: int) -> Optional[str]:
    """'plain' / 'context' when the ONNX op defines a function body at this opset, else None."""
    s = _schema(op_type, domain, opset)
    if s is None:
        return None
    if s.has_function and (s.function_opset_versions or s.function_body.node):
        return "plain"
    if s.has_context_dependent_function:
        return "context"
    return None


def plain_schema_function(op_type: str, domain: str, opset: int) -> Optional[FunctionProto]:
    s = _schema(op_type, domain, opset)
    if s is None or not s.has_function:
        return None
    v = _pick(list(s.function_opset_versions), opset)
    f = FunctionProto()
    if v is not None:
        f.ParseFromString(s.get_function_with_opset_version(v))
    else:
        f.CopyFrom(s.function_body)
    return f


def _type_proto(out) -> TypeProto:
    t = TypeProto()
    if out is None:
        return t
    et = out.element_type
    if et in ET_TO_ONNX:
        t.tensor_type.elem_type = ET_TO_ONNX[et]
    shape = out.shape
    if shape is not None:
        t.tensor_type.shape.SetInParent()
        for d in shape:
            dim = t.tensor_type.shape.dim.add()
            if d >= 0:
                dim.dim_value = d
    return t


def context_schema_function(node_proto: NodeProto, domain: str, opset: int, inputs) -> FunctionProto:
    s = _schema(node_proto.op_type, domain, opset)
    v = _pick(list(s.context_dependent_function_opset_versions), opset)
    n = _with_default_attrs(node_proto, s)
    types = [_type_proto(x).SerializeToString() for x in inputs]
    f = FunctionProto()
    if v is not None:
        f.ParseFromString(s.get_context_dependent_function_with_opset_version(v, n.SerializeToString(), types))
    else:
        f.ParseFromString(s.get_context_dependent_function(n.SerializeToString(), types))
    return f


def _with_default_attrs(node_proto: NodeProto, schema) -> NodeProto:
    n = NodeProto()
    n.CopyFrom(node_proto)
    have = {a.name for a in n.attribute}
    if schema is not None:
        for name, attr in schema.attributes.items():
            if name not in have and attr.default_value and attr.default_value.name:
                n.attribute.append(attr.default_value)
    return n


def expand(node_proto: NodeProto, fproto: FunctionProto, prefix: str, schema=None) -> List[NodeProto]:
    """The body of `fproto` bound to the call `node_proto` (tensor names renamed)."""
    call = _with_default_attrs(node_proto, schema)
    attrs: Dict[str, AttributeProto] = {a.name: a for a in call.attribute}
    for a in fproto.attribute_proto:  # defaults of local functions
        attrs.setdefault(a.name, a)
    names: Dict[str, str] = {}
    for i, formal in enumerate(fproto.input):
        names[formal] = call.input[i] if i < len(call.input) else ""
    for i, formal in enumerate(fproto.output):
        if i < len(call.output) and call.output[i]:
            names[formal] = call.output[i]

    def rename(n: str) -> str:
        if n == "":
            return ""
        return names.get(n, prefix + n)

    out = []
    for b in fproto.node:
        nb = NodeProto()
        nb.op_type, nb.domain = b.op_type, b.domain
        nb.name = prefix + (b.name or b.op_type)
        nb.input.extend(rename(i) for i in b.input)
        nb.output.extend(rename(o) for o in b.output)
        for a in b.attribute:
            if a.ref_attr_name:
                src = attrs.get(a.ref_attr_name)
                if src is None:
                    continue  # not given by the caller: the body op's default applies
                na = AttributeProto()
                na.CopyFrom(src)
                na.name = a.name
                nb.attribute.append(na)
            elif a.type == AttributeProto.GRAPH:
                na = AttributeProto()
                na.CopyFrom(a)
                _rename_outer_refs(na.g, rename)
                nb.attribute.append(na)
            elif a.type == AttributeProto.GRAPHS:
                na = AttributeProto()
                na.CopyFrom(a)
                for sg in na.graphs:
                    _rename_outer_refs(sg, rename)
                nb.attribute.append(na)
            else:
                nb.attribute.append(a)
        out.append(nb)
    return out


def _rename_outer_refs(g: onnx.GraphProto, rename) -> None:
    """Renames, in place, the names a sub-graph uses from the enclosing scope."""
    local = {t.name for t in g.initializer} | {i.name for i in g.input}
    local |= {st.values.name for st in g.sparse_initializer}
    local |= {o for n in g.node for o in n.output if o}
    for n in g.node:
        for k, i in enumerate(n.input):
            if i and i not in local:
                n.input[k] = rename(i)
        for a in n.attribute:
            if a.type == AttributeProto.GRAPH:
                _rename_outer_refs(a.g, lambda x, _l=local: x if x in _l else rename(x))
            elif a.type == AttributeProto.GRAPHS:
                for sg in a.graphs:
                    _rename_outer_refs(sg, lambda x, _l=local: x if x in _l else rename(x))
    for o in g.output:
        if o.name not in local:
            o.name = rename(o.name)


def function_opsets(fproto: FunctionProto, outer: Dict[str, int]) -> Dict[str, int]:
    opsets = dict(outer)
    for o in fproto.opset_import:
        opsets[norm_domain(o.domain)] = int(o.version)
    return opsets


def local_functions(model: onnx.ModelProto) -> Dict[Tuple[str, str], FunctionProto]:
    return {(norm_domain(f.domain), f.name): f for f in model.functions}


__all__ = ["expand", "schema_function_kind", "plain_schema_function", "context_schema_function",
           "function_opsets", "local_functions", "ET_TO_NP"]
