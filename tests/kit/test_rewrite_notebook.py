"""rewrite_notebook: code cells rewritten, magics kept, JSON layout kept, outputs untouched."""

from __future__ import annotations

import json

from shimkit.domain.model import Moves
from shimkit.rewrite import rewrite_notebook

MOVES = Moves(
    names={
        (
            "orchestration.mlflow_utils",
            "setup_mlflow_for_stage",
        ): "infrastructure.tracking.mlflow.setup"
    },
    modules={"orchestration.mlflow_utils": "infrastructure.tracking.mlflow.setup"},
)


def notebook(cells: list[dict[str, object]]) -> str:
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 — ü"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def code(source: list[str], outputs: list[object] | None = None) -> dict[str, object]:
    return {
        "cell_type": "code",
        "execution_count": 1,
        "id": "c1",
        "metadata": {},
        "outputs": outputs or [],
        "source": source,
    }


def test_code_cells_are_rewritten_with_magics_masked_and_layout_kept() -> None:
    output = {"name": "stdout", "output_type": "stream", "text": ["orchestration.mlflow_utils\n"]}
    before = notebook(
        [
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": ["from orchestration.mlflow_utils"],
            },
            code(
                [
                    "%load_ext autoreload\n",
                    "!pip install x\n",
                    "from orchestration.mlflow_utils import setup_mlflow_for_stage\n",
                    "setup_mlflow_for_stage('train')",
                ],
                [output],
            ),
            code(["%%bash\n", "echo orchestration.mlflow_utils\n"]),
        ]
    )
    after = notebook(
        [
            {
                "cell_type": "markdown",
                "metadata": {},
                "source": ["from orchestration.mlflow_utils"],
            },
            code(
                [
                    "%load_ext autoreload\n",
                    "!pip install x\n",
                    "from infrastructure.tracking.mlflow.setup import setup_mlflow_for_stage\n",
                    "setup_mlflow_for_stage('train')",
                ],
                [output],
            ),
            code(["%%bash\n", "echo orchestration.mlflow_utils\n"]),
        ]
    )
    assert rewrite_notebook(before, "nb.ipynb", MOVES) == after


def test_a_notebook_without_references_is_returned_byte_for_byte() -> None:
    before = '{\n  "cells": [],\n  "metadata": {},\n  "nbformat": 4,\n  "nbformat_minor": 5\n}'
    assert rewrite_notebook(before, "nb.ipynb", MOVES) == before


def test_indent_and_a_string_source_are_kept() -> None:
    cell = code([])
    cell["source"] = "import orchestration.mlflow_utils as m\nm.setup_mlflow_for_stage()\n"
    before = json.dumps({"cells": [cell], "nbformat": 4}, indent=2)
    cell["source"] = (
        "import infrastructure.tracking.mlflow.setup as m\nm.setup_mlflow_for_stage()\n"
    )
    assert rewrite_notebook(before, "nb.ipynb", MOVES) == json.dumps(
        {"cells": [cell], "nbformat": 4}, indent=2
    )
