"""The README's ONNX op table is generated from the registry; it must not drift."""
import os

from irconv.optable import BEGIN, END, onnx_table

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def test_readme_op_table_is_current():
    text = open(README, encoding="utf-8").read()
    body = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert body == onnx_table().strip(), "README op table is stale: run `python -m irconv.optable --write README.md`"


def test_readme_commands_name_shipped_files():
    text = open(README, encoding="utf-8").read()
    assert "examples/tiny_cnn.onnx" in text
    assert os.path.exists(os.path.join(os.path.dirname(README), "examples", "tiny_cnn.onnx"))
