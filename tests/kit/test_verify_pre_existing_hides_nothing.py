"""What a module already did wrong before the change (a known DeprecationWarning, a failure, a
name already unusable) excuses exactly that, and nothing the change adds to it: a name it loses,
a failure of another kind, a warning whose text or category changed, a second name lost. Each is
planted where the rewrite cannot see it (the layer is named by a computed string) and must be
refused by the one-interpreter check, the forked check (``SHIMKIT_NO_SHORTCUTS=1``) and one fresh
interpreter per module alike, each with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit_helpers import LAYER_TREE, commit_all, files_under, run_script, write_tree

from tests.batteries.roundtrip import table_rows

pytestmark = pytest.mark.slow

# the retired layer by a name no rewrite reads as a reference to it; ``app.user`` imports it
# before the change, nothing does after
GONE = "'app.' + 'old' not in sys.modules"
HEAD = '"""{doc}"""\n\nimport sys\nimport warnings\n\nimport app.user  # noqa: F401\n'

PLANTED = {
    # warned before the change, and warns the same after; its re-export turns None
    "src/app/warned_lost.py": HEAD.format(doc="Deprecated already; loses make.")
    + "from app.core import make\n\n"
    "warnings.warn('app.warned_lost is deprecated', DeprecationWarning)\n"
    f"if {GONE}:\n    make = None\n\n__all__ = ['make']\n",
    # the same, with the name deleted rather than None
    "src/app/warned_deleted.py": HEAD.format(doc="Deprecated already; deletes make.")
    + "from app.core import make\n\n"
    "warnings.warn('app.warned_deleted is deprecated', DeprecationWarning)\n"
    f"if {GONE}:\n    del make\n\n__all__ = ['make']\n",
    # failed before the change (wants configuring); after it, fails earlier, on the layer
    "src/app/failed_before.py": HEAD.format(doc="Never imported without configuring.")
    + "\nimport importlib\n\nimportlib.import_module('app.' + 'old')\n"
    "raise RuntimeError('app.failed_before: configure the backend first')\n",
    # a known warning whose text the change alters
    "src/app/warning_changed.py": HEAD.format(doc="Deprecated already; says why differently.")
    + "\nwarnings.warn(\n    'app.warning_changed is deprecated'"
    f" + (': its layer is gone' if {GONE} else ''),\n    DeprecationWarning,\n)\n",
    # a known warning, same text, whose category the change alters (a filter matches it anew)
    "src/app/category_changed.py": HEAD.format(doc="Deprecated already; in another category.")
    + "\n\nclass RemovedLater(DeprecationWarning):\n    pass\n\n\n"
    "class RemovedNext(DeprecationWarning):\n    pass\n\n\n"
    "warnings.warn(\n    'app.category_changed is deprecated',\n"
    f"    RemovedNext if {GONE} else RemovedLater,\n)\n",
    # one name never usable (deleted), a second one lost with the layer
    "src/app/second_name.py": HEAD.format(doc="Lost one name long ago, loses another.")
    + "from app.core import make, make as build\n\n"
    f"del build\nif {GONE}:\n    make = None\n\n__all__ = ['make', 'build']\n",
}

# what the verification names for each (and nothing about the name ``build`` lost before)
REASONS = (
    "app.category_changed: new DeprecationWarning: src/app/category_changed.py: "
    "app.category_changed is deprecated (app.category_changed.RemovedNext),",
    "app.warned_lost: re-exported names unusable: make (None),",
    "app.warned_deleted: re-exported names unusable: make (missing),",
    "app.failed_before: ModuleNotFoundError: No module named 'app.old' "
    "(before the change: RuntimeError: app.failed_before: configure the backend first),",
    "app.warning_changed: new DeprecationWarning: "
    "src/app/warning_changed.py: app.warning_changed is deprecated: its layer is gone",
    "app.second_name: re-exported names unusable: make (None),",
)

# failed before the change, import after it: nothing to compare what they do now with (a warning
# masked by the failure, as a package that the shim broke reveals once it is gone), so it is
# named beside the check, never silently excused
NOW_IMPORTING = {
    "src/app/failed_now_warns.py": HEAD.format(doc="Failed before the change; warns after it.")
    + f"\nif not ({GONE}):\n    raise RuntimeError('app.failed_now_warns: configure first')\n"
    "warnings.warn('app.failed_now_warns is deprecated', DeprecationWarning)\n",
    "src/app/failed_now_lost.py": HEAD.format(doc="Failed before the change; loses make after.")
    + "from app.core import make\n\n"
    f"if not ({GONE}):\n    raise RuntimeError('app.failed_now_lost: configure first')\n"
    "make = None\n\n__all__ = ['make']\n",
    # failed before, warns after as it did before it failed: nothing new
    "src/app/failed_warned_before.py": HEAD.format(doc="Warned, then failed; now only warns.")
    + "\nwarnings.warn('app.failed_warned_before is deprecated', DeprecationWarning)\n"
    f"if not ({GONE}):\n    raise RuntimeError('app.failed_warned_before: configure first')\n",
}

NOW_IMPORTING_NAMED = (
    "in modules importing only since the change: app.failed_now_lost: re-exported names "
    "unusable: make (None), app.failed_now_warns: new DeprecationWarning: "
    "src/app/failed_now_warns.py: app.failed_now_warns is deprecated",
)

MODES = {
    "one interpreter": ((), {}),
    "forked, each alone": ((), {"SHIMKIT_NO_SHORTCUTS": "1"}),
    "fresh interpreters": (("--fresh-interpreters",), {}),
}


def _retire(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, planted: dict[str, str]
) -> tuple[int, list[str], str, bool]:
    """Retire ``app.old`` in a tree with ``planted`` in ``mode``: the exit status, the import
    check's row, the whole output and whether the tree was left as it was."""
    args, env = MODES[mode]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    root = write_tree(tmp_path / "tree", {**LAYER_TREE, **planted})
    commit_all(root)
    before = files_under(root)
    done = run_script("retire_shims.py", root, "app.old", "--write", *args)
    rows = table_rows([line.strip() for line in done.stdout.splitlines()])
    row = next(row for row in rows if row[0] == "baseline modules still import")
    return done.returncode, row, done.stdout, files_under(root) == before


@pytest.mark.parametrize("mode", sorted(MODES))
def test_what_was_wrong_before_excuses_nothing_the_change_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    status, row, output, untouched = _retire(tmp_path, monkeypatch, mode, PLANTED)
    assert status == 1 and row[1] == "FAILED" and untouched, output
    for reason in REASONS:
        assert reason in row[2] + ",", output
    assert "build" not in row[2]
    assert "pre-existing: app.failed_before" not in output, output


@pytest.mark.parametrize("mode", sorted(MODES))
def test_what_a_module_importing_only_since_the_change_does_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    status, row, output, _ = _retire(tmp_path, monkeypatch, mode, NOW_IMPORTING)
    assert status == 0 and row[1] != "FAILED", output
    details = " ".join(row[2].split())
    for named in NOW_IMPORTING_NAMED:
        assert named in details, output
    assert "app.failed_warned_before" not in details, output
    for module in NOW_IMPORTING:
        name = module.removeprefix("src/").removesuffix(".py").replace("/", ".")
        assert f"{name} imports since the change, not before it: RuntimeError" in output, output
        assert f"pre-existing: {name}" not in output, output
