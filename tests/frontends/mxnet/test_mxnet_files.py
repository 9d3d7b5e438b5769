"""Which files the MXNet frontend reads: --input_model prefix-NNNN.params (symbol by prefix),
--input_symbol, a symbol alone (newest params beside it), --nd_prefix_name/--pretrained_model_name."""
import os

import numpy as np
import pytest

import irconv
from irconv.errors import IrconvError
from mx_files import SymBuilder, save_params

W = np.arange(6, dtype=np.float32).reshape(3, 2)


def _fc_model():
    b = SymBuilder()
    y = b.op("FullyConnected", "fc", [b.var("data"), b.var("fc_weight")], num_hidden=3, no_bias=True)
    return b.to_json([y])


def _weight_of(model):
    for n in model.graph.topo_order():
        if n.type == "Const" and n.name == "fc_weight":
            return n.output(0).value()
    raise AssertionError("no fc_weight")


def test_symbol_found_by_prefix_and_by_flag(tmp_path):
    (tmp_path / "net-symbol.json").write_text(_fc_model())
    save_params(str(tmp_path / "net-0003.params"), {"arg:fc_weight": W})
    m = irconv.convert_model(str(tmp_path / "net-0003.params"), input_shape="[1,2]")
    np.testing.assert_array_equal(_weight_of(m), W)
    os.rename(tmp_path / "net-symbol.json", tmp_path / "other.json")
    with pytest.raises(IrconvError, match="--input_symbol"):
        irconv.convert_model(str(tmp_path / "net-0003.params"), input_shape="[1,2]")
    m = irconv.convert_model(str(tmp_path / "net-0003.params"), input_shape="[1,2]",
                             input_symbol=str(tmp_path / "other.json"))
    np.testing.assert_array_equal(_weight_of(m), W)


def test_symbol_alone_takes_the_newest_epoch(tmp_path):
    (tmp_path / "net-symbol.json").write_text(_fc_model())
    save_params(str(tmp_path / "net-0001.params"), {"arg:fc_weight": W})
    save_params(str(tmp_path / "net-0012.params"), {"arg:fc_weight": W * 2})
    m = irconv.convert_model(str(tmp_path / "net-symbol.json"), input_shape="[1,2]")
    np.testing.assert_array_equal(_weight_of(m), W * 2)


def test_nd_files_over_a_pretrained_model(tmp_path):
    (tmp_path / "net-symbol.json").write_text(_fc_model())
    save_params(str(tmp_path / "pre-0000.params"), {"arg:fc_weight": W})
    save_params(str(tmp_path / "x_args.nd"), {"fc_weight": W * 3})
    save_params(str(tmp_path / "x_auxs.nd"), {})
    m = irconv.convert_model(str(tmp_path / "pre-0000.params"), framework="mxnet", input_shape="[1,2]",
                             input_symbol=str(tmp_path / "net-symbol.json"), nd_prefix_name="x",
                             pretrained_model_name=str(tmp_path / "pre-0000.params"))
    np.testing.assert_array_equal(_weight_of(m), W * 3)
    with pytest.raises(IrconvError, match="--input_symbol"):
        irconv.convert_model(str(tmp_path / "pre-0000.params"), framework="mxnet", nd_prefix_name="x")


def test_missing_symbol_and_gluoncv_flag(tmp_path):
    save_params(str(tmp_path / "net-0000.params"), {"arg:fc_weight": W})
    with pytest.raises(IrconvError, match="net-symbol.json' does not exist"):
        irconv.convert_model(str(tmp_path / "net-0000.params"))
    (tmp_path / "net-symbol.json").write_text(_fc_model())
    with pytest.raises(IrconvError, match="enable_ssd_gluoncv"):
        irconv.convert_model(str(tmp_path / "net-0000.params"), enable_ssd_gluoncv=True)
