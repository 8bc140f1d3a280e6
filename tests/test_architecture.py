"""The shape STYLE.md asks for, checked: the dialogue layer knows no SDK."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("telegram", "fastapi", "starlette", "sqlalchemy", "httpx", "uvicorn", "alembic")


def test_dialogues_import_no_sdk():
    code = ("import sys, json, dialogues, dialogues.engine, dialogues.flows.first_contact;"
            "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    loaded = set(json.loads(out))
    assert not loaded & set(FORBIDDEN), loaded & set(FORBIDDEN)


def test_packages_declare_their_public_api():
    import dialogues
    import nlu
    import storage

    for package in (dialogues, nlu, storage):
        assert package.__all__, package.__name__
        for name in package.__all__:
            assert hasattr(package, name), f"{package.__name__}.{name}"
