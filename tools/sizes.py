"""Modules over 400 lines and functions over 60 lines in the product's packages (not tests,
migrations or generated files): what the layout's size rule is checked against."""

import ast
import sys
from pathlib import Path

PACKAGES = ("api", "config", "connectors", "core", "demo", "events", "rewards")
MODULE_LINES = 400
FUNCTION_LINES = 60


def main() -> int:
    found = 0
    for package in PACKAGES:
        for path in sorted(Path(package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n")
            if lines > MODULE_LINES:
                print(f"{path}: {lines} lines")
                found += 1
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > FUNCTION_LINES:
                        print(f"{path}:{node.lineno} {node.name}(): {length} lines")
                        found += 1
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
