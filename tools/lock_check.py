"""Whether the lock files still hold every dependency ``pyproject.toml`` declares, at a version its
range allows.

The image and CI install from the locks alone (``pip install --require-hashes -r …``), so a
dependency added to ``pyproject.toml`` without ``make lock`` would go unnoticed until something
imported it. ``.ci/run`` runs this after installing; it prints each dependency a lock misses or
pins outside its range and exits 1, or prints nothing and exits 0.

    python tools/lock_check.py [--root DIR]
"""

import argparse
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

# Which lock holds which of the project's dependency lists.
LOCKS = {"requirements.lock": ("runtime",), "requirements-dev.lock": ("runtime", "dev")}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def locked_versions(text: str) -> dict[str, set[Version]]:
    """Each package pinned in a lock, by normalised name (a universal lock may pin a package
    twice, under different environment markers)."""
    pins: dict[str, set[Version]] = {}
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            pins.setdefault(canonicalize_name(match[1]), set()).add(Version(match[2]))
    return pins


def declared(pyproject: dict[str, Any]) -> dict[str, list[Requirement]]:
    project = pyproject["project"]
    return {
        "runtime": [Requirement(text) for text in project.get("dependencies", [])],
        "dev": [Requirement(text) for text in project.get("optional-dependencies", {}).get("dev", [])],
    }


def lock_problems(*, root: Path) -> list[str]:
    """One line per dependency a lock lacks or pins outside its declared range."""
    requirements = declared(tomllib.loads((root / "pyproject.toml").read_text()))
    problems = []
    for lock, groups in LOCKS.items():
        path = root / lock
        if not path.exists():
            problems.append(f"{lock}: missing (run `make lock`)")
            continue
        pins = locked_versions(path.read_text())
        for group in groups:
            for requirement in requirements[group]:
                versions = pins.get(canonicalize_name(requirement.name))
                if not versions:
                    problems.append(f"{lock}: {requirement.name} ({requirement}) is not locked (run `make lock`)")
                    continue
                outside = sorted(v for v in versions if not requirement.specifier.contains(v, prereleases=True))
                if outside:
                    shown = ", ".join(str(v) for v in outside)
                    problems.append(f"{lock}: {requirement.name} is locked at {shown}, outside {requirement.specifier}")
    return problems


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent)
    problems = lock_problems(root=parser.parse_args(argv).root)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
