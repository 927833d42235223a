"""``twinnet verify`` on the files students of the courses write, end to end through the sandbox: the
style is recognised, correct code passes, each classic mistake fails on its own component and names the
submission's function or method, a training script at the bottom does not stop the grading, a folder
whose files import each other is one submission, and nothing recognised is a usage error."""
import json
from pathlib import Path

from scripts.cli import main
from scripts.verify import find_submissions

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[1]


def _verify(tmp_path, capsys, *args):
    out = tmp_path / "report.json"
    code = main(["verify", *map(str, args), "--json", str(out)])
    text = capsys.readouterr().out
    return code, json.loads(out.read_text()) if out.exists() else None, text


def _joined(tmp_path, name, *files):
    """One file made of ``files`` in order (a mistake file redefines one name of the correct file)."""
    path = tmp_path / name
    path.write_text("\n\n".join((FIXTURES / f).read_text() for f in files))
    return path


def _failed(report):
    return {r["component"] for r in report["checks"] if r["status"] in ("failed", "error")}


def test_nnfs_file_with_its_training_script_passes(tmp_path, capsys):
    code, report, text = _verify(tmp_path, capsys, FIXTURES / "nnfs" / "book.py",
                                 "--only", "Linear,ReLU,Softmax,CrossEntropyLoss,L1Loss,SGD,Adam")
    assert code == 0 and not _failed(report), text
    assert report["style"]["style"] == "nnfs" and "style: nnfs" in text
    assert any("not run" in line for line in report["policy"]["ignored"]), report["policy"]
    linear = next(r for r in report["checks"] if r["component"] == "Linear" and r["kind"] == "backward")
    assert any(s.startswith("Layer_Dense") for s in linear["source"]), linear["source"]


def test_nnfs_mistake_fails_on_its_component_and_names_the_method(tmp_path, capsys):
    path = _joined(tmp_path, "mae.py", "nnfs/book.py", "nnfs/mae_sign_flipped.py")
    code, report, text = _verify(tmp_path, capsys, path, "--only", "L1Loss,MSELoss,Linear")
    assert code == 1 and _failed(report) == {"L1Loss"}, text
    failed = next(r for r in report["checks"] if r["component"] == "L1Loss" and r["status"] == "failed")
    assert any("Loss_MeanAbsoluteError" in s for s in failed["source"]), failed["source"]
    assert "Loss_MeanAbsoluteError" in text


def test_cs231n_mistake_in_layers_fails_on_dropout(tmp_path, capsys):
    path = _joined(tmp_path, "layers.py", "cs231n/layers.py", "cs231n/dropout_not_inverted.py")
    code, report, text = _verify(tmp_path, capsys, path, "--only", "Dropout,Linear,ReLU")
    assert report["style"]["style"] == "cs231n", text
    assert code == 1 and _failed(report) == {"Dropout"}, text
    failed = next(r for r in report["checks"] if r["component"] == "Dropout" and r["status"] == "failed")
    assert "dropout_forward" in failed["source"], failed["source"]


def test_a_folder_whose_files_import_each_other_is_one_submission(tmp_path, capsys):
    folder = tmp_path / "cs231n"
    folder.mkdir()
    for name in ("layers.py", "optim.py"):
        (folder / name).write_text((FIXTURES / "cs231n" / name).read_text())
    (folder / "layer_utils.py").write_text(
        "from layers import affine_forward, relu_forward\n\n\n"
        "def affine_relu_forward(x, w, b):\n    a, fc_cache = affine_forward(x, w, b)\n"
        "    out, relu_cache = relu_forward(a)\n    return out, (fc_cache, relu_cache)\n")
    assert find_submissions([folder]) == [folder]
    assert len(find_submissions([folder], folder="each")) == 3
    code, report, text = _verify(tmp_path, capsys, folder, "--only", "Linear,ReLU,SGD,Adam")
    assert code == 0 and not _failed(report), text
    linear = next(r for r in report["checks"] if r["component"] == "Linear")
    assert "layers.affine_forward" in linear["source"], linear["source"]


def test_a_folder_of_independent_files_is_a_batch(tmp_path):
    for name in ("alice.py", "bob.py"):
        (tmp_path / name).write_text((FIXTURES / "correct" / "partial.py").read_text())
    assert [p.name for p in find_submissions([tmp_path])] == ["alice.py", "bob.py"]
    assert find_submissions([tmp_path], folder="one") == [tmp_path]


def test_an_instructors_adapter(tmp_path, capsys):
    code, report, text = _verify(tmp_path, capsys, FIXTURES / "dlai" / "dnn_utils.py",
                                 "--adapter", ROOT / "docs" / "adapter_example.py", "--only", "Linear,ReLU,Sigmoid")
    assert code == 0 and not _failed(report), text
    assert report["style"]["style"] != "contract" and report["summary"]["passed"] > 0, text


def test_nothing_recognised_is_a_usage_error_naming_the_styles(tmp_path, capsys):
    path = tmp_path / "notes.py"
    path.write_text("import numpy as np\n\n\ndef layer_dense_forwrd(x):\n    return x\n")
    assert main(["verify", str(path), "--only", "ReLU"]) == 2
    err = capsys.readouterr().err
    assert "nothing recognised" in err and "cs231n" in err and "nnfs" in err


def test_a_style_template_is_the_courses_own_api_all_not_implemented(tmp_path, capsys):
    for style, name in (("cs231n", "def affine_forward("), ("nnfs", "class Layer_Dense:")):
        template = tmp_path / f"{style}.py"
        assert main(["verify", "--template", str(template), "--style", style]) == 0
        assert name in template.read_text()
        code, report, text = _verify(tmp_path, capsys, template, "--only", "Linear,ReLU,Adam")
        assert code == 0 and report["style"]["style"] == style, text
        assert {r["status"] for r in report["checks"]} == {"missing"}, text
        assert "not implemented" in text
