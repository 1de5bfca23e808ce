"""The mutation score of each kind's parsing, building and answer reading, read from ``mutmut run``'s
results.

``make mutants`` runs it. It prints ``mutants: N killed of M (P %)``, the same per kind, and then
every mutant the tests let through, as ``file:line  status`` with the original and the mutated line. A mutant that
ran out of time counts as killed: the mutation made the code loop, and the run noticed.
"""

import ast
import sys
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
from mutmut.utils.file_utils import walk_mutatable_files
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

KILLED = {"killed", "timeout"}


def _function_span(tree: ast.Module, function: str, class_name: str | None) -> tuple[int, int]:
    scope = tree.body
    if class_name:
        scope = next(node.body for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name)
    node = next(node for node in scope if isinstance(node, ast.FunctionDef) and node.name == function)
    return node.lineno, node.end_lineno or node.lineno


def _survivor(path: Path, source_lines: list[str], tree: ast.Module, mutant: str) -> tuple[int, str]:
    """The first changed line's number, and ``file:line`` with the lines before and after the mutation."""
    diff = get_diff_for_mutant(mutant, path=path).splitlines()
    removed = [line[1:].strip() for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in diff if line.startswith("+") and not line.startswith("+++")]
    start, end = _function_span(tree, *orig_function_and_class_names_from_key(mutant))
    line = next(
        (n for n in range(start, end + 1) if removed and source_lines[n - 1].strip() == removed[0]),
        start,
    )
    return (
        line,
        f"{path}:{line}  {mutant.rpartition('.')[2]}\n      - {' / '.join(removed)}\n      + {' / '.join(added)}",
    )


def main() -> int:
    killed = total = 0
    by_kind: dict[str, list[int]] = {}
    survivors = []
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        source = path.read_text()
        tree = ast.parse(source)
        for mutant, exit_code in sorted(data.exit_code_by_key.items()):
            status = status_by_exit_code[exit_code]
            total += 1
            kind = by_kind.setdefault(path.parent.name, [0, 0])
            kind[1] += 1
            if status in KILLED:
                killed += 1
                kind[0] += 1
            else:
                line, text = _survivor(path, source.splitlines(), tree, mutant)
                survivors.append((str(path), line, f"{status:>9}  {text}"))
    if not total:
        print("mutants: no results; run `mutmut run` first", file=sys.stderr)
        return 1
    print(f"mutants: {killed} killed of {total} ({100 * killed / total:.1f} %)")
    for name, (kind_killed, kind_total) in sorted(by_kind.items()):
        print(f"  {name}: {kind_killed} killed of {kind_total} ({100 * kind_killed / kind_total:.1f} %)")
    for *_, text in sorted(survivors):
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
