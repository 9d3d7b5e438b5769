"""Components that are structure rather than maths: frame splicing (nnet1 <Splice>, nnet2
SpliceComponent) and nnet1 <ParallelComponent>. The loader turns them into descriptors
(Append of time offsets, column ranges of nested nets), so their translators never run."""
from __future__ import annotations

from irconv.errors import IrconvError

from ..registry import nnet1_component, nnet_component


def _structural(ctx, comp, x):
    raise IrconvError("%s is expanded by the loader and has no translation of its own" % comp.describe())


# nnet1 <Splice>: integer vector of frame offsets; out frame t = concat_o in(t + o).
nnet1_component("Splice", data=("intvec",),
                out_dim=lambda comp, in_dim: len(comp.data[0]) * in_dim())(_structural)

# nnet2 SpliceComponent: <InputDim> <Context> (or <LeftContext> <RightContext>) <ConstComponentDim>
nnet_component("SpliceComponent")(_structural)


def read_parallel(r, comp, spec):
    """<NestedNnetCount> n { <NestedNnet> i <Nnet> ... </Nnet> }* </ParallelComponent>"""
    from ..loader import read_nnet1_components  # noqa: PLC0415 - the loader imports no translators

    r.expect_token("<NestedNnetCount>", " in <ParallelComponent>")
    n = r.read_int("the number of nested nets")
    if not 0 < n < 10000:
        raise r.error("<ParallelComponent> has a bad nested net count %d" % n)
    for i in range(n):
        r.expect_token("<NestedNnet>", " (nested net %d of %d)" % (i + 1, n))
        r.read_int("the nested net's index")
        sub = read_nnet1_components(r)
        if not sub:
            raise r.error("nested net %d of <ParallelComponent> is empty" % (i + 1))
        comp.children.append(sub)
    r.expect_token("</ParallelComponent>")


nnet1_component("ParallelComponent", reader=read_parallel)(_structural)
