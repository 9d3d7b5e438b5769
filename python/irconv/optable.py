"""Generates the README's table of supported ONNX ops from the translator registry.

    python -m irconv.optable            # print the table
    python -m irconv.optable --write README.md   # replace the table between the markers
"""
import argparse
import re
import sys

BEGIN, END = "<!-- onnx-ops:begin -->", "<!-- onnx-ops:end -->"


def onnx_table(columns=4):
    from .frontends.onnx import registry  # noqa: PLC0415 - importing the frontend registers its translators
    import irconv.frontends.onnx  # noqa: F401,PLC0415

    ops = {}
    for domain, name, since, until in registry.supported_ops():
        key = (domain + "." if domain else "") + name
        ops.setdefault(key, []).append("%d+" % since if until is None else "%d-%d" % (since, until))
    cells = ["`%s` %s" % (k, ", ".join(v)) for k, v in sorted(ops.items(), key=lambda kv: kv[0].lower())]
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    lines = ["%d ONNX operators (opset ranges covered):" % len(cells), "",
             "| " + " | ".join(["op (opsets)"] * columns) + " |", "|" + "---|" * columns]
    for r in rows:
        lines.append("| " + " | ".join(r + [""] * (columns - len(r))) + " |")
    return "\n".join(lines)


def replace_in(text, table):
    pat = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pat.search(text):
        raise SystemExit("markers %s ... %s not found" % (BEGIN, END))
    return pat.sub(lambda m: BEGIN + "\n" + table + "\n" + END, text)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", metavar="README")
    a = ap.parse_args(argv)
    table = onnx_table()
    if a.write:
        text = open(a.write, encoding="utf-8").read()
        open(a.write, "w", encoding="utf-8").write(replace_in(text, table))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
