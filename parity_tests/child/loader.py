"""Load a submission's files keeping what defines the components and dropping the script around them.

Students hand in the file they trained with: module-level code that downloads data, trains, plots,
calls ``input()`` or ``nnfs.init()``. ``keep(tree)`` splits a module's top-level statements into
those that define things (imports, ``def``, ``class``, assignments of literals and simple
expressions to plain names, ``try`` blocks of imports, a bare ``raise``) and the rest, which is never run and is
reported as ``ignored the script at lines A-B: not run``. The kept statements run one by one; an
import that fails there (a module this assignment does not offer, such as matplotlib) binds a stub
that raises when used, so it costs nothing unless a component needs it.
"""
import ast
import importlib.abc
import importlib.util
import os
import sys
import types

from .policy import Policy, RefusedImport, refusals

MODULE = "_twinnet_impl"
"""The name the submission is loaded under."""

SAFE_CALLS = {"float", "int", "bool", "str", "tuple", "list", "dict", "set", "frozenset", "range", "len", "abs",
              "min", "max", "round", "slice", "complex", "pow", "divmod", "sum", "sorted", "zip", "enumerate",
              "dataclass", "namedtuple", "TypeVar", "NamedTuple", "field"}
"""Calls allowed in a kept module-level assignment besides those of NumPy (``np.float64(1e-7)``)."""


class Notes:
    """What loading did that the report should say: ignored script lines, stubbed imports, refusals."""

    def __init__(self):
        self.ignored, self.stubs, self.refused, self.whole = [], [], {}, None

    def plain(self):
        return {"ignored": self.ignored, "stubs": self.stubs, "refused": self.refused, "whole": self.whole}


class Stub:
    """Stands for a module-level import that failed in the child; using it raises that import's error."""

    def __init__(self, name, error):
        object.__setattr__(self, "_twinnet_stub", (name, error))

    def _fail(self, *args, **kwargs):
        name, error = object.__getattribute__(self, "_twinnet_stub")
        raise RefusedImport(f"{error} (the import of {name} was replaced by a stub)", name=name)

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        self._fail()

    __call__ = __getitem__ = __iter__ = __setattr__ = _fail

    def __repr__(self):
        return f"<unavailable {object.__getattribute__(self, '_twinnet_stub')[0]}>"


def _dotted_root(node):
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _simple(node, numpy_names):
    """An expression that only computes a value: literals, names, arithmetic, NumPy and a few builtins."""
    if isinstance(node, (ast.Constant, ast.Name, ast.Lambda)):
        return True
    if isinstance(node, ast.Attribute):
        return _simple(node.value, numpy_names)
    if isinstance(node, ast.Call):
        f = node.func
        ok = (isinstance(f, ast.Name) and f.id in SAFE_CALLS | numpy_names) or \
             (isinstance(f, ast.Attribute) and _dotted_root(f) in numpy_names)
        return ok and all(_simple(a, numpy_names) for a in node.args) and \
            all(_simple(k.value, numpy_names) for k in node.keywords)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_simple(e, numpy_names) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(_simple(e, numpy_names) for e in node.keys + node.values if e is not None)
    if isinstance(node, ast.Starred):
        return _simple(node.value, numpy_names)
    children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, (ast.operator, ast.unaryop, ast.boolop,
                                                                           ast.cmpop, ast.expr_context))]
    if isinstance(node, (ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Subscript, ast.Slice,
                         ast.JoinedStr, ast.FormattedValue)):
        return all(_simple(c, numpy_names) for c in children)
    return False


def _names_target(t):
    return isinstance(t, ast.Name) or (isinstance(t, (ast.Tuple, ast.List)) and all(_names_target(e) for e in t.elts))


def _keepable(stmt, numpy_names, first):
    if isinstance(stmt, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Pass,
                         ast.Raise)):
        return True  # a module-level raise says the file is not to be used: it is kept, and it fails the import
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
        return first
    if isinstance(stmt, ast.Assign):
        return all(_names_target(t) for t in stmt.targets) and _simple(stmt.value, numpy_names)
    if isinstance(stmt, ast.AnnAssign):
        return isinstance(stmt.target, ast.Name) and (stmt.value is None or _simple(stmt.value, numpy_names))
    if isinstance(stmt, ast.Try):
        body = stmt.body + stmt.orelse + stmt.finalbody + [s for h in stmt.handlers for s in h.body]
        return all(_keepable(s, numpy_names, False) for s in body)
    return False


def keep(tree):
    """``(kept statements, [(first line, last line)] of the dropped ones)`` of a module's syntax tree."""
    numpy_names = set()
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            numpy_names |= {a.asname or a.name for a in stmt.names if a.name.split(".")[0] == "numpy"}
        elif isinstance(stmt, ast.ImportFrom) and (stmt.module or "").split(".")[0] == "numpy":
            numpy_names |= {a.asname or a.name for a in stmt.names}
    kept, dropped = [], []
    for i, stmt in enumerate(tree.body):
        if _keepable(stmt, numpy_names, i == 0):
            kept.append(stmt)
        else:
            last = getattr(stmt, "end_lineno", stmt.lineno)
            if dropped and dropped[-1][2] == i - 1:
                dropped[-1] = (dropped[-1][0], last, i)
            else:
                dropped.append((stmt.lineno, last, i))
    return kept, [(a, b) for a, b, _ in dropped]


def _lines(a, b):
    return f"line {a}" if a == b else f"lines {a}-{b}"


def execute(module, path, policy, notes):
    """Parse ``path``, check its imports against ``policy``, run what it defines into ``module``."""
    with open(path, "rb") as f:
        source = f.read()
    tree = ast.parse(source, path)
    kept, dropped = keep(tree)
    where = os.path.basename(path)
    for a, b in dropped:
        notes.ignored.append(f"ignored the script at {_lines(a, b)} of {where}: not run")
    whole, refused = refusals(kept, policy)
    if whole:
        notes.whole = notes.whole or whole
    for name, mod in refused.items():
        notes.refused.setdefault(name, mod)
    for stmt in kept:
        code = compile(ast.Module(body=[stmt], type_ignores=[]), path, "exec", dont_inherit=True)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and not getattr(stmt, "level", 0):
            try:
                exec(code, module.__dict__)  # noqa: S102 -- the submission's own definitions, in the child
            except ImportError as exc:
                names = [a.asname or (a.name.split(".")[0] if isinstance(stmt, ast.Import) else a.name)
                         for a in stmt.names if a.name != "*"]
                for name in names:
                    module.__dict__[name] = Stub(name, str(exc))
                mod = stmt.names[0].name if isinstance(stmt, ast.Import) else stmt.module
                notes.stubs.append(f"the import of {mod} at line {stmt.lineno} of {where} failed here "
                                   f"({exc}); {', '.join(names) or 'it'} raises when used")
        else:
            exec(code, module.__dict__)  # noqa: S102
    if any(isinstance(stmt, ast.ImportFrom) and stmt.level for stmt in kept):
        for name, mod in refusals(kept, policy, known=notes.refused)[1].items():
            notes.refused.setdefault(name, mod)


class _Loader(importlib.abc.Loader):
    """Loads the modules of a package submission the same way as a single file."""

    def __init__(self, policy, notes):
        self.policy, self.notes = policy, notes

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        execute(module, module.__spec__.origin, self.policy, self.notes)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds ``_twinnet_impl.*`` in the package folder, and the folder's own modules imported by their
    plain names (``from layers import *`` beside ``layers.py``), for ``_Loader``."""

    def __init__(self, root, loader):
        self.root, self.loader = root, loader

    def find_spec(self, name, path=None, target=None):
        if "." not in name and os.path.isfile(os.path.join(self.root, name + ".py")):
            return importlib.util.spec_from_file_location(name, os.path.join(self.root, name + ".py"), loader=self.loader)
        if not name.startswith(MODULE + "."):
            return None
        parts = name.split(".")[1:]
        base = os.path.join(self.root, *parts)
        if os.path.isfile(os.path.join(base, "__init__.py")):
            return importlib.util.spec_from_file_location(name, os.path.join(base, "__init__.py"), loader=self.loader,
                                                          submodule_search_locations=[base])
        if os.path.isfile(base + ".py"):
            return importlib.util.spec_from_file_location(name, base + ".py", loader=self.loader)
        return None


def load(path, policy):
    """``(module, notes)``: the submission at ``path`` (a ``.py`` file or a package folder) loaded as ``MODULE``."""
    notes = Notes()
    loader = _Loader(policy, notes)
    if not os.path.isdir(path):
        spec = importlib.util.spec_from_file_location(MODULE, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE] = module
        spec.loader.exec_module(module)
        return module, notes
    sys.meta_path.insert(0, _Finder(path, loader))
    init = os.path.join(path, "__init__.py")
    if os.path.isfile(init):
        spec = importlib.util.spec_from_file_location(MODULE, init, loader=loader, submodule_search_locations=[path])
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE] = module
        spec.loader.exec_module(module)
    else:
        module = types.ModuleType(MODULE)
        module.__path__ = [path]
        sys.modules[MODULE] = module
    merge(module, path, notes)
    return module, notes


def merge(package, path, notes):
    """The public names of every module of the folder (``layers.py``, ``optim.py``, ...) in the package's
    namespace, as a course's ``cs231n/`` package holds them; the package's own names come first, then
    each module's in file name order. ``__twinnet_origins__`` says where each was defined
    (``affine_forward`` -> ``layers.affine_forward``, also when ``layer_utils`` imports it)."""
    origins = {}
    for name in sorted(os.listdir(path)):
        stem = name[:-3]
        if not name.endswith(".py") or name.startswith(("_", ".")) or not stem.isidentifier():
            continue
        try:
            sub = importlib.import_module(f"{MODULE}.{stem}")
        except BaseException as exc:  # noqa: BLE001 -- one broken file costs only its own names
            notes.ignored.append(f"could not load {name}: {type(exc).__name__}: {exc}")
            continue
        for key, value in vars(sub).items():
            if not key.startswith("_") and key not in vars(package) and not isinstance(value, types.ModuleType):
                setattr(package, key, value)
                home = str(getattr(value, "__module__", "") or "").rsplit(".", 1)[-1]
                origins[key] = f"{home if os.path.isfile(os.path.join(path, home + '.py')) else stem}.{key}"
    package.__twinnet_origins__ = origins


__all__ = ["MODULE", "Notes", "Policy", "Stub", "keep", "load"]
