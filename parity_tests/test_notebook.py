"""Notebooks as submissions (``scripts/notebook.py``) and ``verify()`` for Jupyter (``parity_tests/jupyter.py``)."""
import json
import subprocess
import sys
import types

import pytest

from scripts.cli import main
from scripts.notebook import convert

from .test_verify import FIXTURES

RELU = ("import numpy as np\n\n"
        "class ReLU:\n"
        "    def __call__(self, x):\n        return self.forward(x)\n"
        "    def forward(self, x):\n        self.mask = x > 0\n        return x * self.mask\n"
        "    def backward(self, grad):\n        return grad * self.mask\n")


def _notebook(path, *cells):
    nb = {"cells": [{"cell_type": kind, "metadata": {}, "source": source,
                     **({"execution_count": None, "outputs": []} if kind == "code" else {})} for kind, source in cells],
          "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
          "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb))
    return path


def test_convert_keeps_code_cells_in_order_and_drops_what_only_ipython_runs(tmp_path):
    path = _notebook(tmp_path / "work.ipynb",
                     ("markdown", "# Exercise 1\n%not code"),
                     ("code", ["%matplotlib inline\n", "import numpy as np\n", "!pip install numpy\n",
                               "files = !ls\n", "x = 1\n", "if x:\n", "    %time y = 2\n"]),
                     ("code", "%%timeit\nnp.zeros(3)"),
                     ("code", "get_ipython().run_line_magic('load_ext', 'autoreload')\nz = x + 1\n"),
                     ("raw", "raw text"))
    converted = convert(path)
    namespace = {}
    exec(compile(converted.source, "work.py", "exec"), namespace)  # valid Python, blocks intact
    assert namespace["z"] == 2 and "y" not in namespace
    assert converted.source.index("x = 1") < converted.source.index("z = x + 1")
    assert "Exercise" not in converted.source and "raw text" not in converted.source
    assert converted.notes == [
        "cell 1, line 1: dropped IPython magic: %matplotlib inline",
        "cell 1, line 3: dropped shell escape: !pip install numpy",
        "cell 1, line 4: dropped shell escape: files = !ls",
        "cell 1, line 7: dropped IPython magic: %time y = 2",
        "cell 2: dropped the whole cell: cell magic %%timeit (IPython only)",
        "cell 3, line 1: dropped get_ipython() call: get_ipython().run_line_magic('load_ext', 'autoreload')",
    ]


def test_verify_a_notebook_like_its_python_file(tmp_path, capsys):
    path = _notebook(tmp_path / "work.ipynb", ("code", "%matplotlib inline\n" + RELU))
    assert main(["verify", str(path), "--only", "ReLU-*"]) == 0
    captured = capsys.readouterr()
    assert "ReLU" in captured.out and "passed" in captured.out and "work.ipynb" in captured.out
    assert "cell 1, line 1: dropped IPython magic: %matplotlib inline" in captured.err


def test_a_notebook_in_a_folder_of_submissions(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    _notebook(folder / "ann.ipynb", ("code", RELU))
    (folder / "bob.py").write_text(RELU)
    assert main(["verify", str(folder), "--only", "ReLU-forward", "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "ann.ipynb.json").exists() and (tmp_path / "out" / "bob.py.json").exists()


def test_a_syntax_error_names_the_cell_and_line(tmp_path, capsys):
    path = _notebook(tmp_path / "work.ipynb", ("code", "x = 1\n"), ("markdown", "text"),
                     ("code", "%time x\nclass ReLU:\n    def forward(self, x)\n        return x\n"))
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err == f"twinnet verify: error: {path} cannot be checked: syntax error in code cell 2, line 3: expected ':'"


@pytest.mark.parametrize("content, expected", [
    ("{not json", "is not a Jupyter notebook"),
    ('{"cells": 3}', "is not a Jupyter notebook"),
    ("[1, 2]", "is not a Jupyter notebook"),
])
def test_a_malformed_notebook_is_a_usage_error(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    assert main(["verify", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


# -- verify() in Jupyter ------------------------------------------------------------------------

def test_verify_a_path_gives_a_report_with_text_and_html(tmp_path):
    from parity_tests import verify
    report = verify(FIXTURES / "mutants" / "relu_kink.py", only="ReLU-*", allow_imports=("scratch",))
    assert not report.passed and 0 < report.score < report.max_score
    assert repr(report).startswith("twinnet verify ") and "ReLU" in repr(report)
    html = report._repr_html_()
    assert html.startswith("<div>") and "<table>" in html and html.count("<tr>") == 2  # header + ReLU
    for column in ("component", "status", "checks", "errors", "likely cause"):
        assert column in html
    assert "failed" in html and "wrong only at the kinks" in html and "&#x27;" in html


def test_repr_html_escapes_everything():
    from parity_tests.jupyter import Report
    record = {"status": "failed", "message": "got <b>1</b> & 2", "likely_cause": {"text": "x < 0 & y > 0"}}
    row = {"component": "<script>alert(1)</script>", "status": "failed", "passed": 0, "checks": 1,
           "max_abs_err": 1.0, "max_rel_err": 1.0, "first": record, "score": 0.0, "max_score": 1.0}
    report = Report({"impl": "a<b>.py", "checks": [record]}, [row], "text", "score 0 / 1 & more")
    html = report._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "x &lt; 0 &amp; y &gt; 0" in html and "a&lt;b&gt;.py" in html and "0 / 1 &amp; more" in html


def test_verify_a_module_object_and_a_class(tmp_path, monkeypatch):
    from parity_tests import verify
    (tmp_path / "my_layers.py").write_text(RELU)
    monkeypatch.syspath_prepend(str(tmp_path))
    import my_layers
    for obj in (my_layers, my_layers.ReLU):
        report = verify(obj, only="ReLU-*")
        assert report.passed and report.score == report.max_score > 0, repr(report)
    namespace = types.SimpleNamespace(ReLU=my_layers.ReLU)
    assert verify(namespace, only="ReLU-forward").passed


def test_verify_refuses_what_holds_no_contract_name():
    from parity_tests import verify
    with pytest.raises(TypeError, match="contract"):
        verify(types.SimpleNamespace(foo=1))


def test_importing_parity_tests_loads_no_torch():
    code = "import sys, parity_tests; assert callable(parity_tests.__getattr__); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
