"""Modules over 400 lines and functions over 60 lines in the product's packages (not tests,
migrations or generated files): what the layout's size rule is checked against, by
``tests/test_layout.py`` and by hand (``python3 tools/sizes.py``)."""

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("api", "config", "connectors", "core", "demo", "events", "rewards")
MODULE_LINES = 400
FUNCTION_LINES = 60
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Finding:
    """A module, or a function (``function`` set, starting at ``line``), over the rule."""

    path: str  # from the repository's root, with "/"
    lines: int
    function: str = ""
    line: int = 0

    @property
    def key(self) -> str:
        """``path`` for a module, ``path:function`` for a function: how an allow-list names it."""
        return f"{self.path}:{self.function}" if self.function else self.path

    def __str__(self) -> str:
        if self.function:
            return f"{self.path}:{self.line} {self.function}(): {self.lines} lines"
        return f"{self.path}: {self.lines} lines"


def size_findings(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> list[Finding]:
    """Every module and function of ``packages`` (folders under ``root``) over the rule, in path order."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            name = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            lines = text.count("\n")
            if lines > MODULE_LINES:
                found.append(Finding(name, lines))
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = (node.end_lineno or node.lineno) - node.lineno + 1
                    if length > FUNCTION_LINES:
                        found.append(Finding(name, length, node.name, node.lineno))
    return found


def main() -> int:
    findings = size_findings()
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
