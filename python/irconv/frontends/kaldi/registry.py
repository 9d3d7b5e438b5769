"""Registry of Kaldi component translators, with what each component stores in the file.

    @nnet_component("SigmoidComponent")                       # nnet2 / nnet3: <Type> ... </Type>
    def sigmoid(ctx, comp, x): return ctx.op("Sigmoid", [x])

    @nnet1_component("AffineTransform", data=("matrix", "vector"))   # nnet1: tags, then data
    def affine(ctx, comp, x): ...

A translator gets the build context, the Component read from the file and the Output of its
input ([frames, input dim]); it returns the Output of the component ([frames, output dim]).
Field value types: i (int32), f (float/double), b (bool), iv (integer vector), mv (matrix or
vector, told apart by the file), ii / ff (two values), "" (a tag without value). Tags a component
spec does not list are read with FIELD_TYPES, then by the shape of the bytes.
"""
from __future__ import annotations

from typing import Callable, Dict, Optional, Sequence

# Field value types of the tags Kaldi's nnet2/nnet3 components (and nnet1 tagged options) write.
FIELD_TYPES: Dict[str, str] = {
    # updatable-component header (nnet3) and learning-rate options (nnet1/nnet2)
    "LearningRate": "f", "LearningRateFactor": "f", "IsGradient": "b", "MaxChange": "f",
    "L2Regularize": "f", "LearnRateCoef": "f", "BiasLearnRateCoef": "f", "MaxNorm": "f",
    # affine / linear
    "LinearParams": "mv", "BiasParams": "mv", "Params": "mv", "RankIn": "i", "RankOut": "i",
    "UpdatePeriod": "i", "NumSamplesHistory": "f", "Alpha": "f", "OrthonormalConstraint": "f",
    "MaxChangePerSample": "f", "UpdateCount": "f", "ActiveScalingCount": "f",
    "MaxChangeScaleStats": "f", "UseNaturalGradient": "b", "RankInOut": "ii", "AlphaInOut": "ff",
    "TimeOffsets": "iv", "Scales": "mv", "Bias": "mv", "Offsets": "mv", "Rank": "i",
    # nonlinearities
    "Dim": "i", "BlockDim": "i", "ValueAvg": "mv", "DerivAvg": "mv", "Count": "f",
    "OderivRms": "mv", "OderivCount": "f", "NumDimsSelfRepaired": "f", "NumDimsProcessed": "f",
    "SelfRepairLowerThreshold": "f", "SelfRepairUpperThreshold": "f", "SelfRepairScale": "f",
    "ValueSum": "mv", "DerivSum": "mv",
    # sizes
    "InputDim": "i", "OutputDim": "i", "P": "f", "Sizes": "iv", "ColumnMap": "iv", "Scale": "f",
    "Context": "iv", "ConstComponentDim": "i", "LeftContext": "i", "RightContext": "i",
    # normalization
    "Epsilon": "f", "TargetRms": "f", "TestMode": "b", "StatsMean": "mv", "StatsVar": "mv",
    "AddLogStddev": "b",
    # LSTM nonlinearity / dropout / backprop truncation
    "SelfRepairConfig": "mv", "SelfRepairProb": "mv", "UseDropout": "b", "DropoutProportion": "f",
    "DropoutPerFrame": "b", "DropoutRate": "f", "DropoutRetention": "f", "Continuous": "b",
    "ClippingThreshold": "f", "ZeroingThreshold": "f", "ZeroingInterval": "i",
    "RecurrenceInterval": "i", "NumElementsClipped": "f", "NumElementsZeroed": "f",
    "NumElementsProcessed": "f", "NumZeroingBoundaries": "f", "NormBasedClipping": "b",
    "SelfRepairClippedProportionThreshold": "f", "SelfRepairTarget": "f", "NumSelfRepaired": "f",
    "NumBackpropped": "f",
    # nnet1 LSTM options
    "CellDim": "i", "CellClip": "f", "DiffClip": "f", "CellDiffClip": "f", "GradClip": "f",
    "ClipGradient": "f",
    # convolution / pooling (nnet1, nnet2, nnet3 old style)
    "PatchDim": "i", "PatchStep": "i", "PatchStride": "i", "PoolSize": "i", "PoolStep": "i",
    "PoolStride": "i", "InputXDim": "i", "InputYDim": "i", "InputZDim": "i", "FiltXDim": "i",
    "FiltYDim": "i", "FiltXStep": "i", "FiltYStep": "i", "InputVectorization": "i",
    "FilterParams": "mv", "PoolXSize": "i", "PoolYSize": "i", "PoolZSize": "i", "PoolXStep": "i",
    "PoolYStep": "i", "PoolZStep": "i", "FmapXLen": "i", "FmapYLen": "i", "FiltXLen": "i",
    "FiltYLen": "i", "ConnectFmap": "i",
}


class ComponentSpec:
    __slots__ = ("names", "fn", "fields", "data", "reader", "flavour")

    def __init__(self, names, fn, fields, data, reader, flavour):
        self.names, self.fn, self.fields, self.data, self.reader, self.flavour = \
            names, fn, dict(fields or {}), tuple(data), reader, flavour

    def field_type(self, tag: str) -> Optional[str]:
        t = self.fields.get(tag)
        return t if t is not None else FIELD_TYPES.get(tag)


_NNET1: Dict[str, ComponentSpec] = {}   # lower-cased marker (nnet1 markers are case-insensitive)
_NNET: Dict[str, ComponentSpec] = {}    # nnet2 / nnet3 type name


def _mark(fn, out_dim, stateful):
    if out_dim is not None:
        fn.out_dim = out_dim
    if stateful:
        fn.stateful = True


def nnet1_component(*names: str, fields: Optional[dict] = None, data: Sequence[str] = (),
                    reader: Optional[Callable] = None, out_dim: Optional[Callable] = None,
                    stateful: bool = False):
    """nnet1 `<Marker> out in [<Tag> value]* data... [<!EndOfComponent>]`; `data` lists the
    positional items after the tags: 'matrix', 'vector', 'intvec'. `reader(r, comp, spec)`
    replaces the generic body reader. `out_dim(comp, in_dim_fn)` gives the output dim when the
    default (the declared dim, <OutputDim>, else the input dim) is wrong; `stateful` marks
    components that keep state across frames (recurrent layers)."""
    def deco(fn):
        _mark(fn, out_dim, stateful)
        spec = ComponentSpec(names, fn, fields, data, reader, "nnet1")
        for n in names:
            key = n.lower()
            if key in _NNET1:
                raise ValueError("nnet1 component %s registered twice" % n)
            _NNET1[key] = spec
        return fn
    return deco


def nnet_component(*names: str, fields: Optional[dict] = None, reader: Optional[Callable] = None,
                   out_dim: Optional[Callable] = None, stateful: bool = False):
    """nnet2/nnet3 `<Type> [<Tag> value]* </Type>`."""
    def deco(fn):
        _mark(fn, out_dim, stateful)
        spec = ComponentSpec(names, fn, fields, (), reader, "nnet")
        for n in names:
            if n in _NNET:
                raise ValueError("component %s registered twice" % n)
            _NNET[n] = spec
        return fn
    return deco


def lookup_nnet1(marker: str) -> Optional[ComponentSpec]:
    return _NNET1.get(marker.lower())


def lookup_nnet(type_name: str) -> Optional[ComponentSpec]:
    return _NNET.get(type_name)


def supported_components():
    """{'nnet1': [markers], 'nnet2/nnet3': [types]}"""
    return {"nnet1": sorted({n for s in _NNET1.values() for n in s.names}),
            "nnet2/nnet3": sorted(_NNET)}
