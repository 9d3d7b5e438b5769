"""nnet3 CompositeComponent: a sequence of simple components applied one after the other."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import FIELD_TYPES, lookup_nnet, nnet_component


def read_composite(r, comp, spec):
    """<CompositeComponent> [header] <MaxRowsProcess> i <NumComponents> n {<Type> ... </Type>}*n
    </CompositeComponent>"""
    from ..loader import read_nnet_component, read_value  # noqa: PLC0415 - the loader imports no translators

    while True:
        start = r.pos
        tok = r.read_token("a <Tag> in <CompositeComponent>")
        if tok == "<NumComponents>":
            break
        if len(tok) < 3 or tok[0] != "<" or tok[-1] != ">":
            raise r.error("in <CompositeComponent>: expected a <Tag> or <NumComponents>, found '%s'" % tok, start)
        tag = tok[1:-1]
        vtype = spec.field_type(tag) or FIELD_TYPES.get(tag)
        if vtype is None:
            raise r.error("in <CompositeComponent>: unexpected <%s>" % tag, start)
        comp.fields[tag] = read_value(r, vtype, "<%s> in <CompositeComponent>" % tag)
    p = r.pos
    n = r.read_int("the number of components in <CompositeComponent>")
    if not 0 < n < 10000:
        raise r.error("<CompositeComponent> has a bad component count %d" % n, p)
    for i in range(n):
        comp.children.append(read_nnet_component(r, comp.flavour, "%s/%d" % (comp.name, i)))
    r.expect_token("</CompositeComponent>")


def _children(comp):
    missing = [c.type for c in comp.children if lookup_nnet(c.type) is None]
    if missing:
        raise IrconvError("%s contains unsupported components: %s" % (comp.describe(), ", ".join(sorted(set(missing)))))
    return [(c, lookup_nnet(c.type)) for c in comp.children]


def _composite_out_dim(comp, in_dim_fn):
    from ..builder import spec_out_dim  # noqa: PLC0415
    dim_fn = in_dim_fn
    for child, spec in _children(comp):
        d = spec_out_dim(spec, child, dim_fn)
        dim_fn = (lambda v: (lambda: v))(d)
    return dim_fn()


@nnet_component("CompositeComponent", reader=read_composite, fields={"MaxRowsProcess": "i"},
                out_dim=_composite_out_dim)
def composite(ctx, comp, x):
    y = x
    for i, (child, spec) in enumerate(_children(comp)):
        if getattr(spec.fn, "time_offsets", None) is not None:
            raise IrconvError("%s: %s reads other frames, which a CompositeComponent cannot" % (comp.describe(), child.type))
        scope = ctx.scope
        ctx.scope = "%s/%d" % (scope, i)
        try:
            y = spec.fn(ctx, child, y)
        finally:
            ctx.scope = scope
    return y
