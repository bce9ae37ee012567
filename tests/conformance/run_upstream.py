"""Run one test of an upstream bandwidth-sdk test module, changed only where a JSON list of
[old, new] text replacements says (its host, credentials and fixture ids).

Runs under the official SDK's virtual environment (``.venv-sdk``), with the upstream source tree (the
folder holding ``test/``) as the working directory and the upstream suite's environment variables
set::

    python run_upstream.py SOURCE_FILE MODULE_NAME TEST_NAME REPLACEMENTS_JSON DEFAULT_HOST

``DEFAULT_HOST`` becomes the SDK's default Configuration (no credentials), which the upstream
suites use for their unauthenticated client. Prints a JSON summary; exits 0 when the test passed
or was skipped by the upstream suite itself, 1 otherwise, 2 when a replacement no longer matches.
"""

from __future__ import annotations

import json
import sys
import types
import unittest
from pathlib import Path

from bandwidth import Configuration


def patched_source(source: str, replacements: list[list[str]]) -> str:
    for old, new in replacements:
        if old not in source:
            print(json.dumps({"error": f"upstream text not found: {old!r}"}))
            sys.exit(2)
        source = source.replace(old, new)
    return source


def load_module(path: Path, name: str, source: str) -> types.ModuleType:
    # The sdist's test/ has no __init__.py, and the standard library owns `test`: name it explicitly.
    root = Path.cwd()
    sys.path.insert(0, str(root))
    package = types.ModuleType("test")
    package.__path__ = [str(root / "test")]
    sys.modules["test"] = package
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def main(argv: list[str]) -> int:
    source_file, module_name, test_name, replacements_json, default_host = argv
    path = Path(source_file)
    source = patched_source(path.read_text(), json.loads(replacements_json))
    Configuration.set_default(Configuration(host=default_host, ignore_operation_servers=True))
    module = load_module(path, module_name, source)
    suite = unittest.defaultTestLoader.loadTestsFromName(test_name, module)
    result = unittest.TextTestRunner(stream=sys.stderr, verbosity=2).run(suite)
    summary = {
        "test": test_name,
        "ran": result.testsRun,
        "failures": [text for _case, text in result.failures],
        "errors": [text for _case, text in result.errors],
        "skipped": [reason for _case, reason in result.skipped],
    }
    print(json.dumps(summary))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
