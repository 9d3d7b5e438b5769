"""The schema-less protobuf text reader behind deploy.prototxt parsing."""
import math

import pytest

from irconv.errors import IrconvError
from irconv.frontends.caffe.text_format import parse


def test_scalars_and_typing():
    m = parse('a: 010 b: 0x1F c: -3 d: 1e2 e: 7u f: 2.5 g: - 4 h: -inf i: nan j: 1.5f k: inf\n'
              'b1: true b2: f b3: 1 b4: False s: "x\\ty\\101\\x42" s2: "ab" \'cd\' en: MAX en2: 2', "p")
    assert [m.int(k) for k in "abcdeg"] == [8, 31, -3, 100, 7, -4]
    assert m.float("f") == 2.5 and m.float("j") == 1.5 and m.float("h") == -math.inf and m.float("k") == math.inf
    assert math.isnan(m.float("i"))
    assert [m.bool(k) for k in ("b1", "b2", "b3", "b4")] == [True, False, True, False]
    assert m.str("s") == "x\tyAB" and m.str("s2") == "abcd"
    values = {"MAX": 0, "AVE": 1, "STOCHASTIC": 2}
    assert m.enum("en", values, "AVE") == "MAX" and m.enum("en2", values, "MAX") == "STOCHASTIC"
    assert m.enum("absent", values, "AVE") == "AVE" and m.int("absent", 5) == 5


def test_messages_lists_and_separators():
    m = parse('# comment\nshape { dim: 1 dim: [2, 3] } shape: < dim: 4 >, shape: { dim: 5 };\n'
              'p: [{ x: 1 }, < x: 2 >] q: "last" q: "wins"\n[my.ext] { v: 9 }', "p")
    assert [s.ints("dim") for s in m.msgs("shape")] == [[1, 2, 3], [4], [5]]
    assert [x.int("x") for x in m.msgs("p")] == [1, 2]
    assert m.str("q") == "wins" and m.strs("q") == ["last", "wins"]
    assert m.msg("my.ext").int("v") == 9
    assert m.msg("absent").int("v", 3) == 3          # an absent message reads as all defaults


def test_deep_nesting_is_not_recursive():
    depth = 5000
    m = parse("a { " * depth + "v: 1" + " }" * depth, "p")
    for _ in range(depth):
        m = m.msg("a")
    assert m.int("v") == 1


@pytest.mark.parametrize("text,pos,what", [
    ("a { b: 1", "1:9", "expected '}' to close the message opened at line 1, got end of file"),
    ("a: ", "1:4", "expected a value for field 'a', got end of file"),
    ("a: [1 2]", "1:7", "expected ',' or ']' in the list of 'a'"),
    ("a b", "1:3", "expected ':' or '{' after field name 'a'"),
    ("a: 1 }", "1:6", "expected a field name, got '}'"),
    ("\n\n  a: @", "3:6", "unexpected character '@'"),
    ("a: - }", "1:6", "expected a number after '-' for field 'a', got '}'"),
    ('a: "unterminated', "1:4", "unexpected character '\"'"),
])
def test_syntax_errors_have_positions(text, pos, what):
    with pytest.raises(IrconvError) as e:
        parse(text, "f.prototxt")
    assert str(e.value).startswith("f.prototxt:" + pos + ": "), str(e.value)
    assert what in str(e.value)


def test_type_errors_name_the_field_and_position():
    m = parse('a: "s"\nb: 1.5\nc: MAYBE\nd { }\ne: 3', "f.prototxt")
    with pytest.raises(IrconvError, match=r"f.prototxt:1:4: field 'a': expected an integer, got 's'"):
        m.int("a")
    with pytest.raises(IrconvError, match=r"f.prototxt:2:4: field 'b': expected an integer, got '1.5'"):
        m.int("b")
    with pytest.raises(IrconvError, match=r"f.prototxt:3:4: field 'c': expected true or false, got 'MAYBE'"):
        m.bool("c")
    with pytest.raises(IrconvError, match=r"f.prototxt:4:3: field 'd': expected a number, got a message"):
        m.float("d")
    with pytest.raises(IrconvError, match=r"f.prototxt:5:4: field 'e': expected a message"):
        m.msg("e")
    with pytest.raises(IrconvError, match=r"f.prototxt:5:4: field 'e': expected one of A, B, got '3'"):
        m.enum("e", {"A": 0, "B": 1}, "A")
