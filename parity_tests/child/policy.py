"""Which modules a submission may import: NumPy and the standard library, plus what the instructor allows.

Two layers. ``refusals(tree, kept)`` reads a file's syntax tree before anything of it runs and names
the top-level definitions that use a refused module (through ``import``, ``from ... import``,
``__import__("...")`` or ``importlib.import_module("...")`` with a literal name), directly or through
another definition; ``Guard`` refuses such imports at run time (a finder first on ``sys.meta_path``
and an audit hook on ``import``, which the submission cannot remove) and remembers what was tried.
A refused import raises ``RefusedImport`` (a ``ModuleNotFoundError``), so code that falls back when
an optional module is absent keeps working.
"""
import ast
import sys

DENIED = ("torch", "torchvision", "functorch", "scratch", "reference", "parity_tests", "scripts", "sklearn",
          "scipy", "jax", "jaxlib", "tensorflow", "keras", "autograd", "skorch", "theano", "mxnet", "cupy")
"""Modules refused even where a name outside the allowed set would merely be unavailable: the answer
key, the judge, and the libraries that would do the work for the student."""

STDLIB = frozenset(sys.stdlib_module_names) | {"__future__", "__main__"}


def top(name):
    return str(name).lstrip(".").split(".")[0]


class RefusedImport(ModuleNotFoundError):
    """An import the assignment does not allow."""


def message(module, allowed=()):
    extra = "".join(f", {a}" for a in sorted(allowed))
    return f"refused: imports {top(module)}; this assignment allows numpy{extra}"


class Policy:
    """The allowed top-level names: the standard library, numpy, ``allowed`` and the submission's own ``own``."""

    def __init__(self, allowed=(), own=()):
        self.allowed = frozenset(top(a) for a in allowed)
        self.own = frozenset(own)

    def permits(self, name):
        t = top(name)
        if not t or t in self.own or t in self.allowed:
            return True
        if t in DENIED:
            return False
        return t in STDLIB or t == "numpy"

    def denied(self, name):
        """Refused outright (the answer key, the judge, torch and the like), not merely unavailable."""
        t = top(name)
        return t in DENIED and t not in self.allowed and t not in self.own

    def message(self, name):
        return message(name, self.allowed)


# -- static check -------------------------------------------------------------------------------

def _literal_imports(node):
    """Module names imported by ``node`` and everything under it: statements and literal dynamic imports."""
    found = []
    for n in ast.walk(node):
        if isinstance(n, ast.Import):
            found += [a.name for a in n.names]
        elif isinstance(n, ast.ImportFrom) and not n.level and n.module:
            found.append(n.module)
        elif isinstance(n, ast.Call) and n.args and isinstance(n.args[0], ast.Constant) \
                and isinstance(n.args[0].value, str):
            f = n.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in ("__import__", "import_module"):
                found.append(n.args[0].value)
    return found


def _bound(stmt):
    """Names a top-level statement binds."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in stmt.names]
    if isinstance(stmt, ast.ImportFrom):
        return [a.asname or a.name for a in stmt.names if a.name != "*"]
    names = []
    for n in ast.walk(stmt):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.append(n.id)
    return names


def _used(stmt):
    return {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}


def refusals(kept, policy, known=None):
    """``(whole_file, {top-level name: refused module})`` for the statements that will run.

    ``whole_file`` is the refused module of a ``from X import *`` (every name may come from it), else None.
    The names bound by a refused import are in the map too (``from scratch import ReLU`` refuses ReLU);
    one that no kept definition uses costs nothing, since only the contract's names are graded.
    ``known`` maps names already refused in the submission's other files: a relative import of one
    of them (``from .layers import conv``) carries the refusal over.
    """
    whole = None
    tainted = {}
    for stmt in kept:
        if known and isinstance(stmt, ast.ImportFrom) and stmt.level:
            for a in stmt.names:
                if a.name in known:
                    tainted[a.asname or a.name] = known[a.name]
        if isinstance(stmt, ast.ImportFrom) and any(a.name == "*" for a in stmt.names) and not stmt.level \
                and policy.denied(stmt.module or ""):
            whole = whole or top(stmt.module)
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in stmt.names] if isinstance(stmt, ast.Import) else \
                [stmt.module or ""] * len(stmt.names) if not stmt.level else []
            for name, mod in zip(_bound(stmt), mods):
                if policy.denied(mod):
                    tainted[name] = top(mod)
    defs = [(stmt, _bound(stmt)) for stmt in kept if not isinstance(stmt, (ast.Import, ast.ImportFrom))]
    for stmt, names in defs:
        direct = [m for m in _literal_imports(stmt) if policy.denied(m)]
        if direct:
            for name in names:
                tainted.setdefault(name, top(direct[0]))
    changed = True
    while changed:
        changed = False
        for stmt, names in defs:
            if all(n in tainted for n in names):
                continue
            hit = next((tainted[u] for u in sorted(_used(stmt)) if u in tainted and u not in names), None)
            if hit:
                for name in names:
                    if name not in tainted:
                        tainted[name], changed = hit, True
    return whole, tainted


# -- run time -----------------------------------------------------------------------------------

class Guard:
    """Refuses imports outside ``policy`` from the moment ``install`` is called; ``attempts`` lists them.

    The decision is made from frozen sets held in a closure, not from attributes a submission could
    reset; this raises the bar inside the process, while the real barrier is the child's file-system
    view, where the refused packages are not present at all.
    """

    def __init__(self, policy):
        self.attempts = []
        permits, denied, text, attempts = policy.permits, policy.denied, policy.message, self.attempts
        granted = set(policy.allowed)
        here = __file__
        stdlib = ast.__file__.rsplit("/", 1)[0] + "/"

        def from_granted():
            """Whether the code importing is an allowed package's own (torch importing typing_extensions)."""
            roots = []
            for name in granted:
                module = sys.modules.get(name)
                origin = getattr(module, "__file__", None)
                if origin:
                    roots.append(origin.rsplit("/", 1)[0] + "/")
            if not roots:
                return False
            frame = sys._getframe(2)
            while frame is not None:
                filename = frame.f_code.co_filename
                if filename.startswith(("<frozen", stdlib)) or filename == here:  # look through the import machinery
                    frame = frame.f_back
                    continue
                return filename.startswith(tuple(roots))
            return False

        def check(name):
            if not permits(name):
                if not denied(name) and from_granted():
                    granted.add(top(name))  # a dependency of an allowed package: allowed for it and for its own
                    return
                if len(attempts) < 1000:
                    attempts.append(top(name))
                raise RefusedImport(text(name), name=name)

        self._check = check

    def find_spec(self, name, path=None, target=None):
        self._check(name)
        return None

    def install(self):
        check = self._check

        def audit(event, args):
            if event == "import" and args and type(args[0]) is str:
                check(args[0])

        sys.meta_path.insert(0, self)
        sys.addaudithook(audit)
