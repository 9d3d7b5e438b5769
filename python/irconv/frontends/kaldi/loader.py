"""Kaldi model files -> Net (model.py): nnet1 `.nnet`, nnet2 `.mdl`, nnet3 `.raw` / `.mdl`,
binary or text.

    net = load("final.mdl")

File layouts (kaldi_formats.md): nnet1 is `<Nnet> {<Marker> out in data <!EndOfComponent>}*
</Nnet>`; nnet2 `.mdl` is a TransitionModel, then `<Nnet> <NumComponents> n <Components> ...
</Components> </Nnet>` and the priors vector; nnet3 is `<Nnet3>`, config lines, an empty line,
`<NumComponents> n {<ComponentName> name <Type> ... </Type>}* </Nnet3>` (`.mdl`: TransitionModel
first, `<LeftContext> <RightContext> <Priors>` after).
"""
from __future__ import annotations

import logging
from collections import Counter
from typing import List, Optional

import numpy as np

from irconv.errors import IrconvError

from .io import KaldiReader, _show
from .model import Append, ColRange, Component, Net, Node, Ref, parse_config_line, parse_descriptor
from .registry import FIELD_TYPES, lookup_nnet, lookup_nnet1

log = logging.getLogger("irconv")


# ---------------------------------------------------------------------------- values
def read_value(r: KaldiReader, vtype: str, what: str):
    if vtype == "i":
        return r.read_int(what)
    if vtype == "f":
        return r.read_float(what)
    if vtype == "b":
        return r.read_bool(what)
    if vtype == "iv":
        return r.read_int_vector(what)
    if vtype == "mv":
        return read_matrix_or_vector(r, what)
    if vtype == "matrix":
        return r.read_matrix(what)
    if vtype == "vector":
        return r.read_vector(what)
    if vtype == "intvec":
        return r.read_int_vector(what)
    if vtype == "ipv":
        return r.read_int_pair_vector(what)
    if vtype == "ii":
        return r.read_int(what), r.read_int(what)
    if vtype == "ff":
        return r.read_float(what), r.read_float(what)
    if vtype == "":
        return None
    raise AssertionError(vtype)


def read_matrix_or_vector(r: KaldiReader, what: str):
    if r.binary:
        tok = r.peek_token()
        return r.read_vector(what) if tok in ("FV", "DV") else r.read_matrix(what)
    r.skip_ws()
    # Kaldi text: a vector is ' [ a b c ]', a matrix ' [\n  a b c \n ... ]'
    p, n, d = r.pos + 1, r.size, r.view
    while p < n and d[p] in (32, 9):
        p += 1
    is_matrix = p < n and d[p] in (10, 13)
    return r.read_matrix(what) if is_matrix else r.read_vector(what)


def read_unknown(r: KaldiReader, what: str):
    """The value(s) after a tag nobody declared, told from the bytes: returns a list."""
    vals = []
    while True:
        r.skip_ws()
        if r.pos >= r.size:
            break
        c = r.view[r.pos]
        if c == ord("<"):
            break
        if not r.binary:
            if c == ord("["):
                vals.append(read_matrix_or_vector(r, what))
                continue
            tok = r.peek_token()
            if tok in ("T", "F"):
                vals.append(r.read_bool(what))
                continue
            vals.append(r.read_float(what))
            continue
        nxt = r.view[r.pos + 1] if r.pos + 1 < r.size else -1
        if c in b"FDC" and nxt in b"MV":
            vals.append(read_matrix_or_vector(r, what))
        elif c in b"TF":
            vals.append(r.read_bool(what))
        elif c == 8:
            vals.append(r.read_float(what))
        elif c == 4:
            start = r.pos
            v = r.read_int(what)
            after = r.view[r.pos] if r.pos < r.size else None
            plausible = after is None or after in b"<FDCT \n\x04\x08"
            if not plausible and 0 <= v <= (r.size - r.pos) // 4:
                r.pos = start
                vals.append(r.read_int_vector(what))
            else:
                vals.append(v)
        else:
            raise r.error("cannot read the value of %s: found %s" % (what, _show(r.view[r.pos:r.pos + 8])))
    return vals


def _tag_name(r: KaldiReader, tok: str, where: str, start: int) -> str:
    if len(tok) < 3 or tok[0] != "<" or tok[-1] != ">":
        raise r.error("%s: expected a <Tag>, found %s" % (where, _show(tok.encode("latin-1"))), start)
    return tok[1:-1]


def read_fields(r: KaldiReader, comp: Component, spec, end_token: str) -> None:
    """<Tag> value ... up to and including `end_token`, into comp.fields."""
    where = "in <%s>" % comp.type
    while True:
        start = r.pos
        r.skip_ws()
        start = r.pos
        if r.pos >= r.size:
            raise r.error("unexpected end of file %s: expected '%s'" % (where, end_token))
        tok = r.read_token()
        if tok == end_token:
            return
        tag = _tag_name(r, tok, where + " (expected a <Tag> or '%s')" % end_token, start)
        if tag.startswith("/"):
            comp.fields[tag] = None
            continue
        vtype = spec.field_type(tag) if spec is not None else FIELD_TYPES.get(tag)
        if vtype is None:
            vals = read_unknown(r, "<%s> %s" % (tag, where))
            comp.fields[tag] = vals[0] if len(vals) == 1 else (vals or None)
        else:
            comp.fields[tag] = read_value(r, vtype, "<%s> %s" % (tag, where))


# ---------------------------------------------------------------------------- nnet2 / nnet3 components
def read_nnet_component(r: KaldiReader, flavour: str, name: str = "") -> Component:
    r.skip_ws()
    start = r.pos
    tok = r.read_token("a component")
    if len(tok) < 3 or tok[0] != "<" or tok[-1] != ">" or tok.startswith("</"):
        raise r.error("expected a component type token (like <AffineComponent>), found %s"
                      % _show(tok.encode("latin-1")), start)
    typ = tok[1:-1]
    spec = lookup_nnet(typ)
    comp = Component(typ, name=name, offset=start, flavour=flavour)
    if spec is not None and spec.reader is not None:
        spec.reader(r, comp, spec)
    else:
        read_fields(r, comp, spec, "</%s>" % typ)
    return comp


# ---------------------------------------------------------------------------- nnet1
_NNET1_END = ("<!EndOfComponent>", "</Nnet>")


def read_nnet1_component(r: KaldiReader) -> Optional[Component]:
    """The next component, or None at '</Nnet>'. (Kaldi also stops at the end of the file; a
    file without '</Nnet>' is taken as truncated, as the Model Optimizer did.)"""
    if r.eof():
        raise r.error("unexpected end of file: expected an nnet1 component or '</Nnet>'")
    start = r.pos
    tok = r.read_token()
    if tok == "<Nnet>":
        if r.eof():
            raise r.error("unexpected end of file: expected an nnet1 component or '</Nnet>'")
        start = r.pos
        tok = r.read_token()
    if tok == "</Nnet>":
        return None
    if tok == "<!EndOfComponent>":
        return read_nnet1_component(r)
    if len(tok) < 3 or tok[0] != "<" or tok[-1] != ">":
        raise r.error("expected an nnet1 component marker (like <AffineTransform>) or '</Nnet>', found %s"
                      % _show(tok.encode("latin-1")), start)
    spec = lookup_nnet1(tok[1:-1])
    typ = spec.names[0] if spec is not None else tok[1:-1]
    out_dim = r.read_int("the output dim of %s" % tok)
    in_dim = r.read_int("the input dim of %s" % tok)
    comp = Component(typ, input_dim=in_dim, output_dim=out_dim, offset=start, flavour="nnet1")
    if spec is None:
        end = r.find_token(_NNET1_END)
        if end < 0:
            raise r.error("unexpected end of file in %s: expected '<!EndOfComponent>'" % tok)
        r.pos = end
    elif spec.reader is not None:
        spec.reader(r, comp, spec)
    else:
        where = "in %s" % tok
        while r.peek_char() == "<" and r.peek_token() not in _NNET1_END:
            tstart = r.pos
            tag = _tag_name(r, r.read_token(), where, tstart)
            vtype = spec.field_type(tag)
            if vtype is None:
                vals = read_unknown(r, "<%s> %s" % (tag, where))
                comp.fields[tag] = vals[0] if len(vals) == 1 else (vals or None)
            else:
                comp.fields[tag] = read_value(r, vtype, "<%s> %s" % (tag, where))
        for i, item in enumerate(spec.data):
            comp.data.append(read_value(r, item, "%s #%d of %s" % (item, i + 1, tok)))
    if r.peek_token() == "<!EndOfComponent>":
        r.read_token()
    return comp


def read_nnet1_components(r: KaldiReader) -> List[Component]:
    comps = []
    while True:
        c = read_nnet1_component(r)
        if c is None:
            return comps
        comps.append(c)


def _lower_names(comps: List[Component]) -> None:
    """nnet1/nnet2 components have no names: the Model Optimizer's style, lower-cased type."""
    seen = Counter()
    for c in comps:
        base = c.type.lower()
        c.name = base if not seen[base] else "%s_%d" % (base, seen[base])
        seen[base] += 1


def chain_net(net: Net, comps: List[Component], input_name: str, prefix: str = "") -> str:
    """Adds a linear chain of components reading `input_name`; returns the last node's name.
    Splice components become descriptor nodes (Append of offsets), ParallelComponent nested
    nets read consecutive column ranges and their outputs are appended."""
    prev = input_name
    for c in comps:
        name = prefix + c.name
        if c.type in ("Splice", "SpliceComponent") and c.flavour in ("nnet1", "nnet2"):
            net.add(Node(name, "descriptor", desc=splice_desc(c, prev), line=c.describe()))
        elif c.type == "ParallelComponent":
            parts, col = [], 0
            for i, sub in enumerate(c.children):
                sub_in = "%s/nnet%d/input" % (name, i + 1)
                in_dim = nnet1_input_dim(sub, c)
                net.add(Node(sub_in, "descriptor", desc=ColRange(Ref(prev), col, in_dim), line=c.describe()))
                col += in_dim
                parts.append(Ref(chain_net(net, sub, sub_in, prefix="%s/nnet%d/" % (name, i + 1))))
            if c.input_dim is not None and col != c.input_dim:
                raise IrconvError("%s: %s: the nested nets read %d columns, the component's input dim is %d"
                                  % (net.path, c.describe(), col, c.input_dim))
            net.add(Node(name, "descriptor", desc=Append(parts) if len(parts) > 1 else parts[0], line=c.describe()))
        else:
            net.add(Node(name, "component", desc=Ref(prev), component=c, line=c.describe()))
        prev = name
    return prev


def splice_desc(c: Component, prev: str):
    if c.flavour == "nnet1":
        offsets = [int(o) for o in c.data[0]]
        if not offsets:
            raise IrconvError("%s has no frame offsets" % c.describe())
        return Append([Ref(prev, o) for o in offsets]) if len(offsets) > 1 else Ref(prev, offsets[0])
    # nnet2 SpliceComponent: <Context> (or <LeftContext>/<RightContext>), the last
    # <ConstComponentDim> input dims are not spliced but appended once (from the first frame of
    # the context in Kaldi; time-invariant by design, so the current frame here).
    ctx = c.get("Context")
    if ctx is None:
        lc, rc = int(c.get("LeftContext", 0)), int(c.get("RightContext", 0))
        ctx = list(range(-lc, rc + 1))
    ctx = [int(o) for o in ctx]
    in_dim = int(c.require("InputDim"))
    const_dim = int(c.get("ConstComponentDim", 0) or 0)
    if not ctx:
        raise IrconvError("%s has an empty <Context>" % c.describe())
    if const_dim:
        var_dim = in_dim - const_dim
        parts = [ColRange(Ref(prev, o), 0, var_dim) for o in ctx]
        parts.append(ColRange(Ref(prev, 0, True), var_dim, const_dim))
        return Append(parts)
    return Append([Ref(prev, o) for o in ctx]) if len(ctx) > 1 else Ref(prev, ctx[0])


def nnet1_input_dim(comps: List[Component], where: Component) -> int:
    if not comps:
        raise IrconvError("%s has an empty nested net" % where.describe())
    return int(comps[0].input_dim)


def load_nnet1(r: KaldiReader, net: Net) -> None:
    comps = read_nnet1_components(r)
    if not comps:
        raise r.error("the nnet1 model has no components")
    _name_tree(comps)
    net.add(Node("input", "input", dim=int(comps[0].input_dim), line="nnet1 input"))
    net.input_aliases["input"] = "Parameter"
    last = chain_net(net, comps, "input")
    net.add(Node("output", "output", desc=Ref(last), line="nnet1 output"))


def _name_tree(comps: List[Component]) -> None:
    _lower_names(comps)
    for c in comps:
        for sub in c.children:
            _name_tree(sub)


# ---------------------------------------------------------------------------- TransitionModel
def read_transition_model(r: KaldiReader) -> None:
    """Reads (and checks) a TransitionModel; the converter does not need its contents."""
    r.expect_token("<TransitionModel>")
    r.expect_token("<Topology>")
    if r.binary:
        r.read_int_vector("the topology's phones")
        r.read_int_vector("the topology's phone2idx")
        n = r.read_int("the number of topology entries")
        is_hmm = True
        if n == -1:
            is_hmm = False
            n = r.read_int("the number of topology entries")
        if n < 0:
            raise r.error("bad number of topology entries %d" % n)
        for _ in range(n):
            states = r.read_int("the number of HMM states")
            if states < 0:
                raise r.error("bad number of HMM states %d" % states)
            for _ in range(states):
                r.read_int("a forward pdf class")
                if not is_hmm:
                    r.read_int("a self-loop pdf class")
                ntr = r.read_int("the number of transitions")
                if ntr < 0:
                    raise r.error("bad number of transitions %d" % ntr)
                for _ in range(ntr):
                    r.read_int("a transition's destination state")
                    r.read_float("a transition's probability")
        r.expect_token("</Topology>")
    else:
        while True:
            start = r.pos
            tok = r.read_token("the topology")
            if tok == "</Topology>":
                break
            if tok in ("<TransitionModel>", "<Nnet>", "<Nnet3>"):
                raise r.error("expected '</Topology>', found '%s'" % tok, start)
    tok = r.read_token("<Triples> or <Tuples>")
    if tok not in ("<Triples>", "<Tuples>"):
        raise r.error("expected '<Triples>' or '<Tuples>', found %s" % _show(tok.encode("latin-1")))
    n = r.read_int("the number of transition states")
    if n < 0:
        raise r.error("bad number of transition states %d" % n)
    per = 3 if tok == "<Triples>" else 4
    for _ in range(n * per):
        r.read_int("a transition-state entry")
    r.expect_token("</" + tok[1:])
    r.expect_token("<LogProbs>")
    r.read_vector("the transition log-probabilities")
    r.expect_token("</LogProbs>")
    r.expect_token("</TransitionModel>")


# ---------------------------------------------------------------------------- nnet2
def load_nnet2(r: KaldiReader, net: Net, with_priors: bool) -> None:
    r.expect_token("<Nnet>")
    r.expect_token("<NumComponents>")
    p = r.pos
    n = r.read_int("the number of components")
    if not 0 < n < 100000:
        raise r.error("bad number of components %d" % n, p)
    r.expect_token("<Components>")
    comps = [read_nnet_component(r, "nnet2") for _ in range(n)]
    r.expect_token("</Components>")
    r.expect_token("</Nnet>")
    if with_priors:  # AmNnet: the priors vector follows the net
        net.priors = np.array(r.read_vector("the priors (after </Nnet>)"), dtype=np.float32)
    _lower_names(comps)
    net.add(Node("input", "input", dim=nnet2_input_dim(comps[0], r.path), line="nnet2 input"))
    net.input_aliases["input"] = "Input"
    last = chain_net(net, comps, "input")
    net.add(Node("output", "output", desc=Ref(last), line="nnet2 output"))


def nnet2_input_dim(c: Component, path: str) -> int:
    spec = lookup_nnet(c.type)
    f = getattr(spec.fn, "in_dim", None) if spec is not None else None
    if f is not None:
        return int(f(c))
    for tag in ("InputDim", "Dim"):
        if c.get(tag) is not None:
            return int(c.get(tag))
    for tag in ("LinearParams", "Params"):
        m = c.get(tag)
        if isinstance(m, np.ndarray) and m.ndim == 2:
            return int(m.shape[1])
    raise IrconvError("%s: cannot tell the input dim from the first component, %s" % (path, c.describe()))


# ---------------------------------------------------------------------------- nnet3
def load_nnet3(r: KaldiReader, net: Net) -> None:
    r.expect_token("<Nnet3>")
    first = r.read_line()
    if first is None or first.strip():
        raise r.error("expected a newline after <Nnet3>, found %s" % _show((first or "").encode("latin-1")))
    lines = []
    while True:
        p = r.pos
        line = r.read_line()
        if line is None:
            raise r.error("unexpected end of file in the nnet3 config section (an empty line ends it)")
        if not line.strip():
            break
        lines.append((p, line))
    r.expect_token("<NumComponents>")
    p = r.pos
    n = r.read_int("the number of components")
    if not 0 <= n < 100000:
        raise r.error("bad number of components %d" % n, p)
    comps = {}
    for _ in range(n):
        r.expect_token("<ComponentName>")
        name = r.read_token("a component name")
        comps[name] = read_nnet_component(r, "nnet3", name)
    r.expect_token("</Nnet3>")
    if net.has_transition_model:  # AmNnetSimple
        r.expect_token("<LeftContext>")
        net.left_context = r.read_int("<LeftContext>")
        r.expect_token("<RightContext>")
        net.right_context = r.read_int("<RightContext>")
        r.expect_token("<Priors>")
        net.priors = np.array(r.read_vector("the priors"), dtype=np.float32)
    used = set()
    for p, line in lines:
        line = line.split("#", 1)[0]
        if not line.strip():
            continue
        where = "%s: byte %d: config line '%s'" % (r.path, p, line.strip())
        try:
            kind, kv = parse_config_line(line)
            _nnet3_node(net, kind, kv, comps, used, where)
        except IrconvError as e:
            msg = str(e)
            raise IrconvError(msg if msg.startswith(r.path) else "%s: %s" % (where, msg)) from None
    if not net.inputs:
        raise IrconvError("%s: the nnet3 config has no input-node" % r.path)
    if not net.outputs:
        raise IrconvError("%s: the nnet3 config has no output-node" % r.path)
    for name, node in net.nodes.items():
        if node.desc is not None:
            for ref, _, _ in node.desc.refs():
                if ref not in net.nodes:
                    raise IrconvError("%s: node '%s' reads '%s', which no config line defines" % (r.path, name, ref))
                if net.nodes[ref].kind == "output":
                    raise IrconvError("%s: node '%s' reads the output-node '%s'" % (r.path, name, ref))


def _nnet3_node(net: Net, kind: str, kv: dict, comps: dict, used: set, where: str) -> None:
    def need(key):
        if key not in kv:
            raise IrconvError("%s: missing %s=" % (where, key))
        return kv[key]

    if kind == "input-node":
        try:
            dim = int(need("dim"))
        except ValueError:
            raise IrconvError("%s: dim= is not an integer" % where) from None
        net.add(Node(need("name"), "input", dim=dim, line=where))
    elif kind == "component-node":
        cname = need("component")
        if cname not in comps:
            raise IrconvError("%s: component '%s' is not in the file's component list" % (where, cname))
        comp = comps[cname]
        used.add(cname)
        net.add(Node(need("name"), "component", desc=parse_descriptor(need("input")), component=comp, line=where))
    elif kind == "dim-range-node":
        try:
            off, dim = int(need("dim-offset")), int(need("dim"))
        except ValueError:
            raise IrconvError("%s: dim-offset= and dim= must be integers" % where) from None
        net.add(Node(need("name"), "descriptor", desc=ColRange(Ref(need("input-node")), off, dim), line=where))
    elif kind == "output-node":
        obj = kv.get("objective", "linear")
        if obj not in ("linear", "quadratic"):
            raise IrconvError("%s: unknown objective '%s'" % (where, obj))
        net.add(Node(need("name"), "output", desc=parse_descriptor(need("input")), line=where))
    else:
        raise IrconvError("%s: unknown node type '%s' (expected input-node, component-node, "
                          "dim-range-node or output-node)" % (where, kind))


# ---------------------------------------------------------------------------- top level
def load(path: str) -> Net:
    r = KaldiReader.open(path)
    if r.eof():
        raise IrconvError("%s: the file is empty" % path)
    start = r.pos
    tok = r.peek_token()
    if tok == "<TransitionModel>":
        read_transition_model(r)
        tok = r.peek_token()
        if tok == "<Nnet>":
            net = Net(path, "nnet2", has_transition_model=True)
            load_nnet2(r, net, with_priors=True)
        elif tok == "<Nnet3>":
            net = Net(path, "nnet3", has_transition_model=True)
            load_nnet3(r, net)
        else:
            raise r.error("expected '<Nnet>' (nnet2) or '<Nnet3>' after the TransitionModel, found %s"
                          % _show(tok.encode("latin-1")))
    elif tok == "<Nnet3>":
        net = Net(path, "nnet3")
        load_nnet3(r, net)
    elif tok == "<Nnet>":
        # nnet1, or a bare nnet2 net (nnet-to-raw-nnet): <Nnet> <NumComponents> ...
        save, trace = r.pos, r.trace
        r.trace = None
        r.read_token()
        second = r.peek_token()
        r.pos, r.trace = save, trace
        if second == "<NumComponents>":
            net = Net(path, "nnet2")
            load_nnet2(r, net, with_priors=False)
        else:
            net = Net(path, "nnet1")
            load_nnet1(r, net)
    elif tok.startswith("<") and lookup_nnet1(tok[1:-1] if tok.endswith(">") else "") is not None:
        net = Net(path, "nnet1")
        load_nnet1(r, net)
    else:
        raise r.error("not a Kaldi model: expected '<Nnet>' (nnet1), '<TransitionModel>' (nnet2/nnet3 .mdl) "
                      "or '<Nnet3>' (nnet3 .raw) at the start%s, found %s"
                      % (" of the binary data" if r.binary else "", _show(tok.encode("latin-1"))), start)
    if not r.eof():
        log.warning("%s: %d byte(s) after the model are ignored", path, r.size - r.pos)
    return net
