"""Shared opening imports for the isolated imports of ``smoke_child.py serve``. Standard library
only; the server loads it by file path, as it loads ``smoke_shared``.

A fresh ``import pkg.sub.mod`` imports ``pkg`` and ``pkg.sub``, then runs ``mod``'s body. Most
bodies open with import statements, and hundreds of modules open with the same one (Django's test
apps: ``from django.db import models``, about half a second). The server forks each module from
a process that has already done as much of that as a fresh import of it would have done first:

- its packages, in order (the package groups of ``smoke_child``), except packages that run no
  code: a namespace package or an empty ``__init__.py``. Such a package only puts a module in
  ``sys.modules`` and an attribute on its parent; it may be imported after the statements below,
  in the module's own import, or by one of those statements that asked the import system for
  it (a sibling module imported), provided it was loaded from where the module's own import
  finds it (``Home``): its loading ran no code there either;
- then the body's opening import statements (``Lead``), one shared process per statement that
  two modules or more open with (``Prefix``): the statement's ``__import__`` runs there, once, in
  the state every fresh import of those modules is in at that statement. The module itself
  is not in ``sys.modules`` there, as it would be: the statement must not ask for it either.
  A statement whose modules are all loaded, and whose names are all in their namespaces, runs no
  code (``binding``): it is passed over, and what it binds is noted.

The module's own import then runs its whole body from the first line; each opening statement
only binds again what it bound. That holds when, at the fork, each binds the objects it bound
right after its own ``__import__`` ran (``still``); a statement that failed fails every module
that opens with it the same way, at that statement. Whatever does not hold is given back to the
nearest package process, which imports the module on its own from there.

Not compared: code that reads ``sys.modules`` or a package's namespace without asking the import
system for the module (it would see the module and its silent packages absent, or the latter
later in ``sys.modules``' order), and the depth of
the stack, which is kept within the recursion limit by running a statement with ``MARGIN``
frames less to spare (a statement that raises ``RecursionError`` so, or changes the limit, is
given back).
"""

from __future__ import annotations

import ast
import builtins
import importlib.machinery
import importlib.util
import sys
import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

MARGIN = 50  # frames a fresh import has below a statement more than the shared process has
LEVEL = 10  # and frames more for each body of the chain it is in (6 in Python 3.11's importlib)


class Lead(NamedTuple):
    """One opening import statement of a module body, as the ``__import__`` it runs."""

    name: str  # the module asked for, absolute
    fromlist: tuple[str, ...]  # ``from name import these``; empty: ``import name``
    chain: tuple[str, ...] | None  # ``import a.b.c as d``: the attributes then looked up
    line: int

    def key(self) -> tuple[str, tuple[str, ...]]:
        """What the statement's ``__import__`` does: the same for every module that runs it."""
        return self.name, self.fromlist

    def text(self) -> str:
        names = ", ".join(self.fromlist)
        return f"from {self.name} import {names}" if self.fromlist else f"import {self.name}"


class Home(NamedTuple):
    """A package that runs no code, and where the module's own import would find it."""

    name: str
    origin: str | None  # its empty ``__init__.py``; None: a namespace package
    path: tuple[str, ...]  # its ``__path__``

    @classmethod
    def of(cls, name: str, spec: Any) -> Home:
        return cls(name, spec.origin, tuple(spec.submodule_search_locations or ()))

    def as_fresh(self) -> bool:
        """Whether the package is not loaded (nor was asked for), or was loaded from here: a
        plain module, as its parent's attribute."""
        module = sys.modules.get(self.name)
        if module is None:
            return self.name not in Asked.names  # asked for, not there: it failed somehow
        if type(module) is not _MODULE:
            return False
        spec = vars(module).get("__spec__")
        if getattr(spec, "origin", self) != self.origin:
            return False
        if tuple(vars(module).get("__path__") or ()) != self.path:
            return False
        parent, _, attribute = self.name.rpartition(".")
        owner = sys.modules.get(parent) if parent else None
        return not parent or (type(owner) is _MODULE and vars(owner).get(attribute) is module)


@dataclass
class Frame:
    """A module body whose opening statements a fresh import runs, and how far they have run."""

    module: str
    origin: str  # the file its import runs
    leads: tuple[Lead, ...]
    at: int = 0  # the first statement neither run nor passed over yet
    bound: list[tuple[Lead, tuple[object, ...]]] = field(default_factory=list)
    silent: tuple[Home, ...] = ()  # its packages not imported yet: none runs code
    whole: int = -1  # the statement at ``at`` runs whole: the body it would begin ends its leads
    taken: bool = False  # loaded as a name its package's statement takes, which may fail quietly

    def next(self) -> Lead:
        return self.leads[self.at]


@dataclass
class Item(Frame):
    """A module to import on its own, with its opening statements and how far they have run;
    then the bodies a fresh import of it is in when its next statement that runs code runs
    (``chain``: the first module not loaded yet that its statement imports, in that one's body
    the first module its statement imports, and so on), each half-made in ``sys.modules``."""

    names: list[str] = field(default_factory=list)
    chain: list[Frame] = field(default_factory=list)
    spoiled: bool = False  # a chain body that runs whole bound otherwise than it did at its start

    def frames(self) -> list[Frame]:
        return [self, *self.chain]

    def top(self) -> Frame:
        return self.chain[-1] if self.chain else self


@dataclass
class Prefix:
    """The modules that open with ``lead`` (at their own ``at``), served by one process that runs
    it."""

    lead: Lead
    items: list[Item]
    # ``lead`` is the first module the items' statements load, not a statement of theirs: a
    # package they import through (``_first_loaded``), or a submodule one takes by name
    part: bool = False
    taken: bool = False  # the latter: its ``ModuleNotFoundError`` the statement could pass over

    def listed(self) -> list[str]:
        return [item.module for item in self.items]


def find(name: str, path: Sequence[str] | None) -> Any:
    """The spec the path finder gives ``name`` (``path``: its package's ``__path__``)."""
    try:
        return importlib.machinery.PathFinder.find_spec(name, path)
    except (ImportError, ValueError, OSError, KeyError):  # KeyError: a namespace package whose
        return None  # parent is not loaded (its path is computed from the parent's)


def _source(spec: Any) -> str | None:
    loader = getattr(spec, "loader", None)
    if not isinstance(loader, importlib.machinery.SourceFileLoader) or not spec.origin:
        return None
    return str(spec.origin)


def _body(origin: str) -> list[ast.stmt] | None:
    """The statements of a file, or None when parsing it warns or fails (its import may too)."""
    try:
        with open(origin, "rb") as handle, warnings.catch_warnings():
            warnings.simplefilter("error")
            return ast.parse(handle.read()).body
    except (SyntaxError, ValueError, OSError, Warning):
        return None


def read_ahead(modules: Iterable[str], unread: Collection[str]) -> Iterator[None]:
    """Read the opening statements of ``modules`` and of their packages now, a file a step,
    as ``item`` and ``silent`` will read them (the same specs, from the path finder: the
    processes forked later find them read, ``_READ``). ``unread``: modules whose files are
    not to be read, nor what is below them looked for."""
    found: dict[str, Any] = {}  # module -> its spec's search locations, None: no package
    for module in modules:
        parts = module.split(".")
        path: Any = None
        for depth in range(1, len(parts) + 1):
            name = ".".join(parts[:depth])
            if name in unread:  # nor its folder listed: a changed package's listing counts
                break
            if name not in found:
                spec = find(name, path)
                found[name] = None if spec is None else spec.submodule_search_locations
                origin = None if spec is None else _source(spec)
                if origin is not None:
                    package = name if found[name] is not None else name.rpartition(".")[0]
                    if (origin, package) not in _READ:
                        _opening(origin, package)
                        yield
            path = found[name]
            if path is None:
                break


def item(
    module: str, names: list[str], path: Sequence[str] | None, silent: tuple[Home, ...], read: bool
) -> Item:
    """``module`` to import on its own (``path``: its package's ``__path__``, None at the top),
    with its opening statements when its file may be ``read``."""
    spec = find(module, path) if read else None
    if spec is None:
        return Item(module, "", (), silent=silent, names=names)
    return Item(module, spec.origin or "", leads(spec, module), silent=silent, names=names)


def silent(spec: Any) -> bool:
    """Whether importing the package of ``spec`` runs no code: a namespace package, or an
    ``__init__.py`` with no statement."""
    if spec is None or spec.submodule_search_locations is None:
        return False
    if spec.origin is None:
        return True
    origin = _source(spec)
    return origin is not None and _opening(origin, spec.name)[0]


def leads(spec: Any, module: str) -> tuple[Lead, ...]:
    """The import statements ``module``'s body opens with (after its docstring)."""
    origin = _source(spec)
    if origin is None:
        return ()
    package = module if spec.submodule_search_locations is not None else module.rpartition(".")[0]
    return _opening(origin, package)[1]


# file, package -> whether it has no statement, the import statements it opens with: each file
# is read once by a process, and the processes it forks inherit what it read
_READ: dict[tuple[str, str], tuple[bool, tuple[Lead, ...]]] = {}


def _opening(origin: str, package: str) -> tuple[bool, tuple[Lead, ...]]:
    known = _READ.get((origin, package))
    if known is None:
        body = _body(origin)
        known = _READ[origin, package] = (body == [], _openings(body or [], package))
    return known


def _openings(body: list[ast.stmt], package: str) -> tuple[Lead, ...]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    found: list[Lead] = []
    for statement in body:
        lead = _leads_of(statement, package)
        if lead is None:
            break
        found.extend(lead)
    return tuple(found)


def _leads_of(statement: ast.stmt, package: str) -> list[Lead] | None:
    if isinstance(statement, ast.Import):
        return [
            Lead(
                alias.name,
                (),
                tuple(alias.name.split(".")[1:]) if alias.asname else None,
                statement.lineno,
            )
            for alias in statement.names
        ]
    if not isinstance(statement, ast.ImportFrom):
        return None
    names = tuple(alias.name for alias in statement.names)
    relative = "." * statement.level + (statement.module or "")
    try:
        name = importlib.util.resolve_name(relative, package) if statement.level else relative
    except (ImportError, ValueError):
        return None
    return [Lead(name, names, None, statement.lineno)]


_MODULE = type(sys)


def _settled(name: str) -> Any:
    """``sys.modules[name]`` when an import of it would return it at once: a plain module whose
    import has finished."""
    module = sys.modules.get(name)
    if type(module) is not _MODULE:
        return None
    spec = vars(module).get("__spec__")
    return None if getattr(spec, "_initializing", False) else module


def binding(lead: Lead) -> tuple[object, ...] | None:
    """What ``lead`` would bind now without running code (every module loaded, every name in its
    namespace: nothing to import, no ``__getattr__`` to call); None when it would run code."""
    module = _settled(lead.name)
    if module is None:
        return None
    if lead.fromlist:
        return _taken(module, lead.fromlist)
    top = _settled(lead.name.partition(".")[0])
    if top is None:
        return None
    objects: list[object] = [top]
    for attribute in lead.chain or ():
        namespace = vars(objects[-1]) if type(objects[-1]) is _MODULE else {}
        if attribute not in namespace:
            return None
        objects.append(namespace[attribute])
    return tuple(objects)


def _taken(module: Any, fromlist: tuple[str, ...]) -> tuple[object, ...] | None:
    """What ``from module import fromlist`` binds when every name is in the namespace (a star:
    those ``__all__`` names, there too, or the public names when there is no ``__all__`` nor
    ``__getattr__`` to ask for it); None when it would import or ask ``__getattr__`` for one."""
    namespace = vars(module)
    names: Any = fromlist
    if fromlist == ("*",):
        if "__all__" in namespace:
            names = namespace["__all__"]
        elif "__getattr__" in namespace:
            return None
        else:  # every public name: a non-string key fails the statement
            names = [name for name in namespace if not (type(name) is str and name[:1] == "_")]
    if not isinstance(names, (list, tuple)) or any(type(name) is not str for name in names):
        return None
    if any(name not in namespace for name in names):
        return None
    return (module, *(namespace[name] for name in names))


def still(item: Item) -> bool:
    """Whether every statement ``item`` and its chain passed over or had run binds what it bound
    then (and no body of its chain that ran whole had it otherwise)."""
    return not item.spoiled and all(_still(frame) for frame in item.frames())


def _still(frame: Frame) -> bool:
    for lead, objects in frame.bound:
        now = binding(lead)
        if now is None or len(now) != len(objects):
            return False
        if any(a is not b for a, b in zip(now, objects, strict=True)):
            return False
    return True


def advance(item: Item, unread: Collection[str] = ()) -> Lead | None:
    """Pass over the statements of ``item`` that run no code now, and follow one that would into
    the body of the module it loads first (``chain``), and so on: the first statement that runs
    code at the deepest such body, if any. A body whose opening statements all run no code goes
    on with code of its own: the statement that loads it runs whole, first (``whole``). ``unread``:
    modules whose files are not to be read."""
    while True:
        frame = item.top()
        while frame.at < len(frame.leads) and _passed(frame):
            pass
        if frame.at == len(frame.leads):
            if not item.chain:
                return None
            _unchain(item)
            continue
        lead = frame.next()
        if _touches(lead, item):
            if not item.chain:
                return lead
            _unchain(item)
            continue
        deeper = None if frame.whole == frame.at else _body_begun(lead, unread)
        if deeper is None:
            return lead
        item.chain.append(deeper)


def _touches(lead: Lead, item: Item) -> bool:
    """Whether ``lead`` names a module that is half-made in a fresh import of ``item`` (it, or a
    body of its chain), or a package of one: a shared process, where it is not, would load it.
    Such a statement is not shared: the body holding it runs whole, from the statement that
    loads it."""
    half_made = {frame.module for frame in item.frames()}
    parts = lead.name.split(".")
    named = [".".join(parts[:end]) for end in range(1, len(parts) + 1)]
    named += [f"{lead.name}.{name}" for name in lead.fromlist]
    return any(name in half_made for name in named)


def _unchain(item: Item) -> None:
    """Drop the deepest body of ``item``'s chain: the statement that loads it runs it whole next,
    in the state it is in now, which must bind what its opening statements bound at its start."""
    frame = item.chain.pop()
    if not _still(frame):
        item.spoiled = True
    item.top().whole = item.top().at


def _body_begun(lead: Lead, unread: Collection[str]) -> Frame | None:
    """The body a fresh import begins when ``lead`` runs now: that of the first module its
    ``__import__`` loads that runs code (its packages first, then it, then a submodule it takes
    by name), with the packages before it that run none. None when none is to load, or one is
    not plainly a source file the path finder finds, or not to be read, or opens with no import
    statement, or a name is taken otherwise (``__getattr__``, a star)."""
    parts = lead.name.split(".")
    homes: list[Home] = []
    path: Any = None
    for depth in range(1, len(parts) + 1):
        step = _step(".".join(parts[:depth]), path, homes, unread)
        if not isinstance(step, _Path):
            return step
        path = step.path
    if path is None or lead.fromlist in ((), ("*",)):
        return None
    # a package that runs no code (not loaded: the last of ``homes``) holds none of the names
    namespace = {} if homes else vars(sys.modules[lead.name])
    if "__getattr__" in namespace:
        return None
    name = next((name for name in lead.fromlist if name not in namespace), None)
    if name is None or name.startswith("__"):
        return None
    step = _step(f"{lead.name}.{name}", path, list(homes), unread)
    if not isinstance(step, Frame):
        return None
    step.taken = True
    return step


class _Path(NamedTuple):
    path: Any  # a package's ``__path__``; None: a module that is not a package


def _step(name: str, path: Any, homes: list[Home], unread: Collection[str]) -> Frame | _Path | None:
    """What a fresh import does first at ``name`` (``path``: its package's ``__path__``): finds
    it loaded, loads a package that runs no code (noted in ``homes``), or begins its body."""
    if name in sys.modules:
        module = _settled(name)
        return None if module is None or homes else _Path(vars(module).get("__path__"))
    if name in unread or _builtin(name):
        return None
    spec = find(name, path)
    if spec is None:
        return None
    if silent(spec):
        homes.append(Home.of(name, spec))
        return _Path(spec.submodule_search_locations)
    opening = leads(spec, name)
    return Frame(name, spec.origin or "", opening, silent=tuple(homes)) if opening else None


def _builtin(name: str) -> bool:
    """Whether a finder before the path finder has ``name`` (built in, frozen)."""
    machinery = importlib.machinery
    return any(
        finder.find_spec(name) is not None
        for finder in (machinery.BuiltinImporter, machinery.FrozenImporter)
    )


def passed(item: Item) -> bool:
    """Note what ``item``'s next statement (at its chain's deepest body) binds and pass over it,
    when running it now would run no code (after its shared ``__import__`` ran, too: else the
    module is imported alone)."""
    return _passed(item.top())


def _passed(frame: Frame) -> bool:
    lead = frame.next()
    objects = binding(lead)
    if objects is None:
        return False
    frame.bound.append((lead, objects))
    frame.at += 1
    return True


def arrange(items: Iterable[Item], unread: Collection[str] = ()) -> tuple[list[Prefix], list[Item]]:
    """The items whose next statement that runs code imports the same module (two or more: one
    alone gains nothing from a process of its own), and the others. Statements that differ only
    in the names they take (``from m import a``, ``from m import b``, ``import m``) begin alike:
    each first imports ``m`` and its packages (``_gcd_import``), then takes its names. Their
    process runs that first part alone (``import m``); each statement then runs whole again in
    the module's own import, where finding ``m`` loaded runs no code, and taking names that are
    there already runs none either (a name that is not, a submodule to import, is taken in a
    process further down: ``pending``)."""
    by_start: dict[tuple[str, tuple[str, ...]], list[tuple[Lead, Item]]] = {}
    for item in items:
        lead = advance(item, unread) or _NONE
        if item.spoiled:
            lead = _NONE
        by_start.setdefault(_start(lead, unread), []).append((lead, item))
    shared: list[Prefix] = []
    alone: list[Item] = []
    for (name, _), group in by_start.items():
        if not name or len(group) < 2:
            alone += [item for _, item in group]
            continue
        first = group[0][0]
        same = all(lead.key() == first.key() for lead, _ in group)
        if same and first.name == name:
            opening, part = first, False
        else:
            opening = Lead(name, (), None, first.line)
            part = any(lead.name != name for lead, _ in group)
        taken = any(lead.name == name.rpartition(".")[0] for lead, _ in group)
        shared.append(Prefix(opening, [item for _, item in group], part, taken))
    return shared, alone


def _start(lead: Lead, unread: Collection[str]) -> tuple[str, tuple[str, ...]]:
    """What ``lead``'s ``__import__`` does first that runs code, as a key: statements with the
    same key begin alike. A module loaded already: the taking of its names, up to the first
    submodule it takes (``from m import a, sub``: ``import m.sub``, as ``_handle_fromlist``
    imports it), else the statement itself; a module not loaded: the first of its packages
    that runs code and is not loaded (``import m.sub``: ``import m``, its parent import), else
    the module."""
    if not lead.name:
        return lead.key()
    module = _settled(lead.name)
    if module is None:
        return (_first_loaded(lead.name, unread) or lead.name), ()
    submodule = _first_taken(module, lead, unread)
    return (submodule, ()) if submodule else lead.key()


def _first_loaded(name: str, unread: Collection[str]) -> str | None:
    """The first package a fresh ``import name`` loads that runs code, when it is not ``name``
    itself: the packages loaded already are passed, and those that run no code are loaded
    on the way (as the import of the package below loads them). None when a package is
    half-made, not found, or not to be read."""
    parts = name.split(".")
    path: Any = None
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        if package in sys.modules:
            module = _settled(package)
            path = None if module is None else vars(module).get("__path__")
            if path is None:
                return None
            continue
        if package in unread or _builtin(package):
            return None
        spec = find(package, path)
        if spec is None or spec.submodule_search_locations is None:
            return None
        if not silent(spec):
            return package
        path = spec.submodule_search_locations
    return None


def _first_taken(module: Any, lead: Lead, unread: Collection[str]) -> str | None:
    """The submodule ``from module import names`` imports first, when every name before it is
    in the namespace (``hasattr`` runs no code there: no ``__getattr__``) and the path finder
    finds it: then the statement begins as ``import`` of it does."""
    namespace = vars(module)
    if not lead.fromlist or "*" in lead.fromlist or "__getattr__" in namespace:
        return None
    path = namespace.get("__path__")
    name = next((name for name in lead.fromlist if name not in namespace), None)
    if name is None or path is None:
        return None
    submodule = f"{lead.name}.{name}"
    if namespace.get("__name__") != lead.name:  # the name the import machinery joins
        return None
    if submodule in sys.modules or submodule in unread or find(submodule, path) is None:
        return None
    return submodule


def pending(prefix: Prefix, item: Item) -> bool:
    """Whether ``item``'s next statement is still to run in a process below ``prefix``'s, which
    ran only its opening part: the module it asks for is imported, and the statement is to
    take names (or attributes) that are not bound yet."""
    frame = item.top()
    opened = prefix.lead.name
    if prefix.lead.fromlist or prefix.lead.chain is not None or frame.at >= len(frame.leads):
        return False
    lead = frame.next()
    if _settled(opened) is None:
        return False
    if lead.name.startswith(f"{opened}."):  # a package it imports through: the rest is to come
        return True
    package, _, name = opened.rpartition(".")
    if lead.name == package and name in lead.fromlist:  # a submodule it takes: and the others
        return True
    takes = bool(lead.fromlist) or lead.chain is not None  # else it was the whole statement
    return takes and lead.name == opened


_NONE = Lead("", (), None, 0)


class Asked:
    """First on ``sys.meta_path`` while a shared statement runs: every module the import system
    was asked for (finds nothing itself)."""

    names: ClassVar[set[str]] = set()

    @classmethod
    def find_spec(cls, fullname: str, path: object = None, target: object = None) -> None:
        cls.names.add(fullname)


def run(prefix: Prefix, record: Callable[[Callable[[], object]], dict[str, Any]]) -> dict[str, Any]:
    """Run ``prefix``'s statement's ``__import__`` through ``record`` (which records it as an
    import), watching what it asks for, with the frames a fresh import of its modules has more
    (``MARGIN``, ``LEVEL`` for each body of the deepest chain) less to spare; the record, with
    ``"recursion"``: whether the limit showed (the statement hit it, or changed it)."""
    lead = prefix.lead
    Asked.names = set()
    sys.meta_path.insert(0, Asked)
    limit = sys.getrecursionlimit()
    deepest = max(len(item.chain) for item in prefix.items) + prefix.part
    lower = limit - MARGIN - LEVEL * deepest
    sys.setrecursionlimit(lower)
    try:
        data = record(lambda: builtins.__import__(lead.name, None, None, lead.fromlist or None, 0))
    finally:
        changed = sys.getrecursionlimit() != lower
        sys.setrecursionlimit(limit)
        if Asked in sys.meta_path:
            sys.meta_path.remove(Asked)
    data["recursion"] = changed or data["message"].startswith("RecursionError")
    return data


def kept_apart(item: Item) -> bool:
    """Whether the shared statement that just ran left ``item``'s module, the modules of its
    chain and their silent packages as a fresh import needs them: each module not asked for, not
    loaded (a fresh import has it half-made); each package not loaded, or loaded from where the
    fresh import finds it."""
    for frame in item.frames():
        if frame.module in Asked.names or frame.module in sys.modules:
            return False
        if not all(home.as_fresh() for home in frame.silent):
            return False
    return True


def failed_at(
    item: Item, data: dict[str, Any], in_project: Callable[[str], bool], taken: bool = False
) -> dict[str, Any] | None:
    """The record of ``item``'s import when its next statement (at its chain's deepest body)
    raised as ``data`` says: the same error, at the deepest project frame; when none was below
    the statement, at the statement that was running in the deepest project body of the chain
    (``in_project``: whether a file is the project's). None when a fresh import could go on: a
    ``ModuleNotFoundError`` leaving a body its package's statement takes by name (the statement
    passes over a submodule that is not found; ``taken``: the shared process imported such a
    submodule, see ``Prefix``)."""
    failed = {key: value for key, value in data.items() if key != "recursion"}
    passable = taken or any(frame.taken for frame in item.chain)
    if failed["message"].startswith("ModuleNotFoundError") and passable:
        return None
    if failed["path"] is None:
        frame = next((f for f in reversed(item.chain) if in_project(f.origin)), item)
        failed["path"], failed["line"] = frame.origin, frame.next().line
    return failed
