"""`make test-compiled` runs the core and simulator tests on the mypyc build (setup.py).

This test makes sure that run really imports the compiled modules, not the Python source.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest

COMPILED = [
    Path(line.strip().strip('",')).with_suffix("").as_posix().removeprefix("src/").replace("/", ".")
    for line in (Path(__file__).resolve().parents[2] / "setup.py").read_text().splitlines()
    if line.strip().startswith('"src/switchboard/')
]


def test_setup_lists_the_hot_modules() -> None:
    assert "switchboard.core.center" in COMPILED
    assert "switchboard.sim.engine" in COMPILED


@pytest.mark.skipif(not os.environ.get("SWITCHBOARD_EXPECT_COMPILED"),
                    reason="only in `make test-compiled`")
@pytest.mark.parametrize("name", COMPILED)
def test_module_is_compiled(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert not module.__file__.endswith(".py"), f"{name} was imported from {module.__file__}"
