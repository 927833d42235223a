"""Load a submission's definitions without its script: imports, functions, classes and plain assignments
run; everything else at module level (training loops, prints, plots, ``if __name__ == '__main__'``) is
left out.

Runs inside the untrusted child beside the submission: NumPy and the standard library only.

A student's file often ends in the course's training script (NNFS's epochs loop, a notebook's cells).
``definitions(path)`` keeps only what defines names: ``import``/``from ... import`` (an import that fails,
such as the book's ``nnfs`` package, is skipped and listed), ``def``, ``class`` and assignments whose
value calls nothing (``EPS = 1e-7``, ``batchnorm_backward_alt = batchnorm_backward``), executed in order.
"""
import ast
import types
from pathlib import Path


def _calls(node):
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def kept(node):
    """Whether a module-level statement defines names without running the script."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return True
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return node.value is not None and not _calls(node.value) and all(isinstance(t, ast.Name) for t in targets)
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)  # the docstring


def definitions(path, name=None, base=None):
    """A module of ``path``'s definitions (see the module docstring); ``base`` (a module or dict) is copied
    in first, so a file that redefines one function of another file's can be laid over it.
    ``module.__skipped__`` lists the statements left out and the imports that failed."""
    path = Path(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    module = types.ModuleType(name or path.stem)
    if base is not None:
        module.__dict__.update({k: v for k, v in (vars(base) if not isinstance(base, dict) else base).items()
                                if not k.startswith("__")})
    module.__file__ = str(path)
    skipped = []
    for node in tree.body:
        if not kept(node):
            skipped.append(f"line {node.lineno}: {type(node).__name__}")
            continue
        code = compile(ast.Module(body=[node], type_ignores=[]), str(path), "exec")
        try:
            exec(code, module.__dict__)
        except ImportError as exc:
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                raise
            skipped.append(f"line {node.lineno}: import failed ({exc})")
    module.__skipped__ = skipped
    return module
