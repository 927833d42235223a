"""``twinnet verify`` as a grader a course can trust: one attack per hole, each ending in the safe outcome.

Each attack submission (``fixtures/adversarial/``) must earn nothing for what it attacks with, forge
nothing, lose no result, read and write nothing outside its own view, and leave no process behind
(checked in /proc: no process of uid 65534 and none carrying the attack's marker remains). The full
isolation needs root: those tests are skipped, with the reason, without it. The degraded levels
(``TWINNET_ISOLATION=user-namespace`` and ``rlimits``) are tested too, and the correct submissions
must still pass at every level.
"""
import json
import os
import shutil
import signal
import socket
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from parity_tests import sandbox as sb
from scripts import verify as verify_mod
from scripts._common import UsageError, write_json
from scripts.cli import main
from scripts.verify import verify_one

FIXTURES = Path(__file__).with_name("fixtures")
ATTACKS = FIXTURES / "adversarial"
ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT or not sb._probe("full"),
                                reason="full isolation needs root and unshare/setpriv with namespaces")
REFUSED = "refused: imports {}; this assignment allows numpy"


def _materialise(name, tmp_path, **config):
    """A copy of the attack ``name`` (with ``_honest.py`` beside it) whose ``CONFIG = {}`` is ``config``."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    shutil.copy(ATTACKS / "_honest.py", folder / "_honest.py")
    text = (ATTACKS / name).read_text().replace("CONFIG = {}", f"CONFIG = {json.dumps(config)}")
    (folder / name).write_text(text)
    return folder / name


def _processes(marker=None):
    """Processes of uid 65534, or whose command line holds ``marker``: ``[(pid, cmdline)]``."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat", "rb") as f:
                state = f.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if state == b"Z":
            continue
        if uid == sb.NOBODY or (marker and marker in cmd):
            found.append((int(entry), cmd))
    return found


def _by_component(report):
    groups = {}
    for r in report["checks"]:
        groups.setdefault(r["component"], []).append(r)
    return groups


@pytest.fixture(params=["full", "user-namespace", "rlimits"])
def level(request, monkeypatch):
    """Each isolation level in turn, forced through TWINNET_ISOLATION (skipped where it is not available)."""
    if not sb._probe(request.param):
        pytest.skip(f"{request.param} isolation is not available on this machine")
    monkeypatch.setenv("TWINNET_ISOLATION", request.param)
    return request.param


# -- correct submissions at every level ---------------------------------------------------------

def test_correct_submission_passes_at_every_level(level):
    report = verify_one(FIXTURES / "correct" / "classes.py", only="ReLU-*,Linear-*,MSELoss-*")
    assert report["isolation"]["level"] == level and report["isolation"]["details"]
    assert {r["status"] for r in report["checks"]} == {"passed"}, [r["message"] for r in report["checks"]]
    assert not report["policy"]["refused"] and not report["policy"]["whole"]
    assert not _processes()


def test_functional_submission_passes_in_full_isolation():
    report = verify_one(FIXTURES / "correct" / "functional.py", only="GELU-*,Softplus-*,ReLU-*")
    assert {r["status"] for r in report["checks"]} == {"passed"}


def test_the_report_states_the_isolation(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["verify", str(FIXTURES / "correct" / "classes.py"), "--only", "ReLU-*", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["isolation"]["level"] in sb.LEVELS
    assert f"isolation: {report['isolation']['level']}" in text
    assert oct(out.stat().st_mode & 0o777) == "0o644"


# -- the import policy --------------------------------------------------------------------------

def test_answer_key_earns_nothing(level):
    report = verify_one(ATTACKS / "answer_key.py", only="ReLU-*,Linear-*,MSELoss-*")
    assert report["policy"]["whole"] == "scratch"
    assert report["checks"] and all(r["status"] == "failed" and REFUSED.format("scratch") in r["message"]
                                    for r in report["checks"])


def test_answer_key_passes_when_the_instructor_allows_it():
    report = verify_one(ATTACKS / "answer_key.py", only="ReLU-*", allow_imports=("scratch",))
    assert {r["status"] for r in report["checks"]} == {"passed"}


def test_library_wrappers_earn_nothing_and_honest_code_still_passes(level):
    report = verify_one(ATTACKS / "wraps_libraries.py", only="ReLU-*,Sigmoid-*,Tanh-*,Softmax-*")
    groups = _by_component(report)
    for component, module in (("ReLU", "torch"), ("Sigmoid", "scipy"), ("Tanh", "torch")):
        recs = groups[component]
        assert all(r["status"] in ("failed", "error") for r in recs), component
        assert REFUSED.format(module) in recs[0]["message"], (component, recs[0]["message"])
    refused = report["policy"]["refused"]
    assert refused["ReLU"] == "torch" and refused["Sigmoid"] == "scipy"
    assert "Tanh" not in refused and "Softmax" not in refused
    assert all(r["status"] == "passed" for r in groups["Softmax"])


def test_allowed_libraries_import_with_their_dependencies():
    report = verify_one(ATTACKS / "wraps_libraries.py", only="ReLU-*,Sigmoid-*,Tanh-*",
                        allow_imports=("torch", "scipy"))
    assert {r["status"] for r in report["checks"]} == {"passed"}, [r["message"] for r in report["checks"]]


def test_package_submission_refusal_follows_relative_imports(level):
    report = verify_one(ATTACKS / "wraps_package", only="ReLU-*,Tanh-*")
    groups = _by_component(report)
    assert all(r["status"] == "passed" for r in groups["ReLU"])
    assert all(r["status"] == "failed" for r in groups["Tanh"])
    assert REFUSED.format("torch") in groups["Tanh"][0]["message"]
    assert report["policy"]["refused"]["Tanh"] == "torch"
    assert any("acts.py" in n for n in report["policy"]["ignored"])


def test_script_around_the_components_is_not_run(tmp_path, capsys):
    out = tmp_path / "r.json"
    start = time.monotonic()
    code = main(["verify", str(ATTACKS / "training_script.py"), "--only", "ReLU-*,Tanh-*", "--json", str(out)])
    text = capsys.readouterr().out
    assert time.monotonic() - start < 60
    report = json.loads(out.read_text())
    assert code == 0 and {r["status"] for r in report["checks"]} == {"passed"}, text
    assert any("ignored the script at line 13 of training_script.py: not run" == n
               for n in report["policy"]["ignored"]), report["policy"]
    assert any("lines 39-48" in n for n in report["policy"]["ignored"])
    stubs = " ".join(report["policy"]["stubs"])
    assert "matplotlib.pyplot" in stubs and "nnfs" in stubs
    assert "ignored the script at lines 39-48 of training_script.py: not run" in text


def test_static_check_reads_the_kept_code_only():
    import ast

    from parity_tests.child.loader import keep
    from parity_tests.child.policy import Policy, refusals
    source = ("import torch\nimport numpy as np\nfrom torch import nn\nK = 2\n"
              "def helper(x):\n    return nn.functional.relu(x)\n"
              "class ReLU:\n    def forward(self, x):\n        return helper(x)\n"
              "class Tanh:\n    def forward(self, x):\n        return np.tanh(x) * K\n"
              "class Late:\n    def forward(self, x):\n        import sklearn\n        return x\n"
              "print(torch.ones(3))\n")
    kept, dropped = keep(ast.parse(source))
    whole, refused = refusals(kept, Policy())
    assert whole is None and dropped == [(17, 17)]
    assert refused == {"torch": "torch", "nn": "torch", "helper": "torch", "ReLU": "torch", "Late": "sklearn"}
    assert refusals(kept, Policy(allowed=("torch", "sklearn")))[1] == {}


def test_runtime_policy_refuses_what_the_static_check_cannot_see():
    import subprocess
    import sys
    code = ("import sys; sys.path[:0] = [sys.argv[1]]\n"
            "from parity_tests.child.policy import Guard, Policy\n"
            "g = Guard(Policy()); g.install()\n"
            "import importlib\n"
            "for name in ('to' + 'rch', 'sk' + 'learn', 'scratch', 'parity_tests.checks', 'json'):\n"
            "    try:\n        importlib.import_module(name); print(name, 'imported')\n"
            "    except ImportError as e:\n        print(name, e)\n"
            "sys.meta_path.remove(g)\n"
            "try:\n    import torch; print('torch imported')\n"
            "except ImportError as e:\n    print('torch', e)\n")
    out = subprocess.run([sys.executable, "-c", code, str(ROOT)], capture_output=True, text=True, timeout=60).stdout
    assert "torch refused: imports torch; this assignment allows numpy" in out
    assert "sklearn refused: imports sklearn" in out and "scratch refused: imports scratch" in out
    assert "parity_tests.checks refused" in out and "json imported" in out
    assert out.strip().endswith("torch refused: imports torch; this assignment allows numpy"), out


# -- processes ----------------------------------------------------------------------------------

def test_no_process_outlives_the_run(level, tmp_path):
    marker = f"twinnet-marker-{os.getpid()}-{level}"
    report_path = tmp_path / "report.json"
    path = _materialise("daemon.py", tmp_path, report=str(report_path), marker=str(tmp_path / marker))
    report = verify_one(path, only="ReLU-forward-*,Tanh-*", timeout=5)
    assert all(r["status"] == "passed" for r in report["checks"] if r["component"] == "Tanh")
    write_json(report_path, report)
    before = report_path.read_bytes()
    assert not _processes(marker) and not _processes()
    time.sleep(1.0)
    assert not _processes(marker), "a process of the submission outlived it"
    assert report_path.read_bytes() == before, "the report was rewritten after the run"
    if level != "rlimits":  # without a mount namespace the daemon could write while the run lasted
        assert not (tmp_path / marker).exists()


def test_judge_cannot_be_signalled(level, tmp_path):
    if level == "rlimits":
        pytest.skip("without namespaces the child runs as the judge's user and could signal it: the degraded "
                    "level does not claim to stop this (README, Security model)")
    path = _materialise("kill_judge.py", tmp_path, judge=os.getpid())
    report = verify_one(path, only="ReLU-*,Tanh-*", timeout=5)
    assert {r["status"] for r in report["checks"]} == {"passed"}
    assert not _processes()


# -- what the child can see and reach ---------------------------------------------------------------

@needs_root
def test_child_sees_nothing_of_the_judge(tmp_path, monkeypatch):
    secret = tmp_path / "instructor" / "solutions.py"
    secret.parent.mkdir()
    secret.write_text("INSTRUCTOR-SECRET-42")
    other = tmp_path / "others"
    other.mkdir()
    (other / "bob_secret_submission.py").write_text("BOB-ANSWER")
    monkeypatch.setenv("TWINNET_JUDGE_SECRET", "JUDGE-ENV-SECRET-7")
    files = [str(secret), str(ROOT / "scratch" / "__init__.py"), str(ROOT / "parity_tests" / "kinds" / "module.py"),
             "/root/.bash_history", "/etc/shadow", str(other / "bob_secret_submission.py")]
    path = _materialise("spy.py", tmp_path, files=files, folders=[str(other), str(ROOT), "/root", "/home", "/tmp"])
    report = verify_one(path, only="ReLU-forward-*", timeout=5)
    text = json.dumps(report)
    message = report["checks"][0]["message"]
    assert "LEAK" in message, message
    for leaked in ("INSTRUCTOR-SECRET-42", "JUDGE-ENV-SECRET-7", "bob_secret_submission", "BOB-ANSWER",
                   "import numpy", "scratch", "twinnet-sandbox", "torch", "pytest", "parity_tests.sandbox"):
        assert leaked not in message, leaked
    assert "JUDGE-ENV-SECRET-7" not in text


@needs_root
def test_no_network(tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    got = []

    def accept():
        end = time.monotonic() + 15
        while time.monotonic() < end and not got:
            try:
                got.append(server.accept())
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    path = _materialise("network.py", tmp_path, port=port)
    report = verify_one(path, only="ReLU-forward-*,Tanh-*", timeout=5)
    got.append(None)
    thread.join()
    server.close()
    assert got == [None], "the submission reached the judge's machine"
    assert all(r["status"] == "failed" for r in report["checks"] if r["component"] == "ReLU")
    assert all(r["status"] == "passed" for r in report["checks"] if r["component"] == "Tanh")


@needs_root
def test_judge_files_and_site_packages_cannot_be_rewritten(tmp_path):
    import site
    judge_file = ROOT / "parity_tests" / "kinds" / "module.py"
    site_dir = Path(site.getsitepackages()[0])
    evil = site_dir / "twinnet_evil.pth"
    report_path = tmp_path / "report.json"
    before = verify_mod.fingerprint()
    path = _materialise("tamper.py", tmp_path, append=[str(judge_file), str(ROOT / "scripts" / "verify.py")],
                        create=[str(evil), str(ROOT / "scratch" / "evil.py")],
                        link=[str(report_path), str(site_dir / "twinnet_evil2.pth")])
    report = verify_one(path, only="ReLU-*,Tanh-*", timeout=5)
    assert "integrity" not in report
    assert {r["status"] for r in report["checks"]} == {"passed"}
    assert verify_mod.fingerprint() == before
    assert not evil.exists() and not (ROOT / "scratch" / "evil.py").exists()
    assert not report_path.is_symlink() and not (site_dir / "twinnet_evil2.pth").exists()


def test_a_changed_judge_voids_the_scores(monkeypatch):
    calls = []

    def fake():
        calls.append(1)
        return {"parity_tests/kinds/module.py": str(len(calls))}

    monkeypatch.setattr(verify_mod, "fingerprint", fake)
    report = verify_one(FIXTURES / "correct" / "classes.py", only="ReLU-*")
    assert report["integrity"] == ["parity_tests/kinds/module.py"]
    assert all(r["status"] == "error" and "not scored" in r["message"] for r in report["checks"])


def test_report_writes_refuse_symbolic_links(tmp_path):
    target = tmp_path / "site-packages" / "evil.pth"
    target.parent.mkdir()
    link = tmp_path / "report.json"
    link.symlink_to(target)
    with pytest.raises(UsageError, match="symbolic link"):
        write_json(link, {"score": 1})
    assert not target.exists()
    plain = tmp_path / "plain.json"
    write_json(plain, {"a": 1})
    assert json.loads(plain.read_text()) == {"a": 1} and oct(plain.stat().st_mode & 0o777) == "0o644"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left"


# -- the judge survives anything ----------------------------------------------------------------

def test_deeply_nested_answer_is_one_failed_component(level):
    report = verify_one(ATTACKS / "deep_answer.py", only="ReLU-forward-*,Tanh-*", timeout=5)
    relu = [r for r in report["checks"] if r["component"] == "ReLU"]
    assert relu[0]["status"] == "error" and "sent malformed data" in relu[0]["message"], relu[0]["message"]
    assert all(r["status"] == "passed" for r in report["checks"] if r["component"] == "Tanh")


def _payload(header, tail=b""):
    header = header.encode() if isinstance(header, str) else header
    return struct.pack(">Q", len(header)) + header + tail


@pytest.mark.parametrize("payload, words", [
    (_payload('{"list": [' * 100000 + "null" + "]}" * 100000), "unreadable"),
    (_payload('{"list": [' * 60 + "null" + "]}" * 60), "nesting too deep"),
    (_payload(json.dumps({"array": ["<f8", [1 << 30, 1 << 10], False]})), "shorter than its header"),
    (_payload(json.dumps({"list": [None] * ((1 << 20) + 10)})), "too many values"),
    (_payload(b"\xff\xfe"), "unreadable"),
    (b"\x00" * 3, "shorter"),
    (struct.pack(">Q", 1 << 62), "longer than the data"),
])
def test_decode_never_raises_anything_but_protocol_error(payload, words):
    with pytest.raises(sb.ProtocolError, match=words):
        sb.decode(payload)


def test_strings_from_the_child_are_sanitised():
    value = sb.decode(sb.encode(["error", "\x1b[2K\rscore 107\u202e\u2028", {"k\x07": "ok\ttab\nline"}]))
    assert value == ["error", "\\x1b[2K\\x0dscore 107\\u202e\\u2028", {"k\\x07": "ok\ttab\nline"}]


def test_ansi_escapes_cannot_forge_report_lines(tmp_path, capsys):
    out = tmp_path / "r.json"
    main(["verify", str(_materialise("ansi_message.py", tmp_path)), "--only", "ReLU-forward-*,Tanh-*",
          "--json", str(out)])
    text = capsys.readouterr().out
    assert "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "\\x1b[2K" in text
    assert not any(line.startswith("score 107") for line in text.splitlines())
    assert text.splitlines()[-2].startswith("score 1 / ")


def test_swapped_temp_dir_loses_nothing(tmp_path):
    box = sb.Sandbox(FIXTURES / "correct" / "classes.py", names=["ReLU"])
    box.start()
    stage = box._stage
    keep = tmp_path / "precious"
    keep.mkdir()
    (keep / "file").write_text("x")
    shutil.rmtree(box._stage)
    os.symlink(keep, box._stage)
    box.close()
    assert (keep / "file").read_text() == "x"
    if os.path.islink(stage):
        os.unlink(stage)


def test_total_time_is_bounded(level):
    start = time.monotonic()
    report = verify_one(ATTACKS / "slow_everything.py", only="ReLU-*,Tanh-*", timeout=3, total_timeout=4)
    assert time.monotonic() - start < 25
    messages = [r["message"] for r in report["checks"]]
    assert any("total time of 4 s" in m for m in messages), messages
    assert all(r["status"] in ("passed", "error") for r in report["checks"])


def test_one_crashing_submission_loses_no_other_report(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name in ("alice.py", "bob.py", "carol.py"):
        shutil.copy(FIXTURES / "correct" / "functional.py", folder / name)
    real = verify_mod.verify_one

    def flaky(path, **options):
        if Path(path).name == "bob.py":
            raise MemoryError("the judge ran out of memory")
        return real(path, **options)

    monkeypatch.setattr(verify_mod, "verify_one", flaky)
    out = tmp_path / "reports"
    main(["verify", str(folder), "--only", "ReLU-*", "--out", str(out)])
    capsys.readouterr()
    rows = (out / "summary.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["alice.py", "bob.py", "carol.py"]
    assert rows[1].startswith("alice.py,1.0") and rows[3].startswith("carol.py,1.0") and rows[2].startswith("bob.py,0")
    assert "could not be verified (MemoryError" in (out / "bob.py.txt").read_text()
    assert json.loads((out / "carol.py.json").read_text())["summary"]["passed"] > 0


# -- Gradescope ---------------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["missing.py"], "no such file or folder"),
    (["empty"], "holds no submission"),
    (["ok.py", "--only", "NoSuchThing"], "matches no check"),
])
def test_results_json_for_every_usage_error(args, words, tmp_path, monkeypatch, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "ok.py").write_text("import numpy as np\n")
    monkeypatch.chdir(tmp_path)
    assert main(["verify", *args, "--gradescope", "results.json"]) == 2
    capsys.readouterr()
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == 0 and words in results["output"] and results["tests"] == []
    assert "execution_time" in results


def test_results_json_hidden_tests_and_time(tmp_path, capsys):
    points = tmp_path / "points.json"
    points.write_text(json.dumps({"ReLU": {"points": 2, "visibility": "hidden"}, "Tanh": 3}))
    out = tmp_path / "results.json"
    assert main(["verify", str(FIXTURES / "correct" / "classes.py"), "--only", "ReLU-*,Tanh-*",
                 "--gradescope", str(out), "--points", str(points)]) == 0
    capsys.readouterr()
    results = json.loads(out.read_text())
    tests = {t["name"]: t for t in results["tests"]}
    assert tests["ReLU (activation)"]["visibility"] == "hidden" and tests["ReLU (activation)"]["max_score"] == 2
    assert tests["Tanh (activation)"]["visibility"] == "visible" and tests["Tanh (activation)"]["max_score"] == 3
    assert results["execution_time"] > 0 and results["score"] == 5
    assert "all" not in results["output"] and "not shown" in results["output"]


def test_nothing_recognised_scores_zero_with_a_message(tmp_path, capsys):
    empty = tmp_path / "nothing.py"
    empty.write_text("import numpy as np\nX = 1\n")
    out = tmp_path / "results.json"
    main(["verify", str(empty), "--only", "ReLU-*", "--gradescope", str(out)])
    capsys.readouterr()
    results = json.loads(out.read_text())
    assert results["score"] == 0 and "nothing recognised" in results["output"]


# -- a correct submission under full isolation ----------------------------------------------------

def test_full_correct_submission_has_no_false_alarm():
    """Its time is measured, not asserted here (a shared machine's timings are noise): README, verify."""
    report = verify_one(FIXTURES / "correct" / "classes.py")
    assert {r["status"] for r in report["checks"]} <= {"passed", "missing"}


def test_sandbox_kills_its_processes_when_closed():
    box = sb.Sandbox(FIXTURES / "correct" / "classes.py", names=["ReLU"])
    box.start()
    assert box.proc.poll() is None
    box.close()
    assert box.proc is None
    assert not _processes()
    np.testing.assert_equal(signal.SIGKILL, signal.SIGKILL)
