"""The lock files the image and CI install from hold every dependency pyproject.toml declares."""

from pathlib import Path

from tools.lock_check import lock_problems, locked_versions

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = """
[project]
name = "x"
dependencies = ["django>=5.2,<5.3", "psycopg[binary]>=3.2,<4"]

[project.optional-dependencies]
dev = ["pytest>=8,<10"]
"""
HASH = "    --hash=sha256:" + "0" * 64


def write(root: Path, runtime: str, dev: str) -> None:
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "requirements.lock").write_text(runtime)
    (root / "requirements-dev.lock").write_text(dev)


def test_the_committed_locks_hold_every_declared_dependency_in_its_range():
    assert lock_problems(root=ROOT) == []


def test_the_images_lock_holds_no_development_tool():
    runtime = locked_versions((ROOT / "requirements.lock").read_text())
    dev = locked_versions((ROOT / "requirements-dev.lock").read_text())

    assert {"pytest", "ruff", "mypy", "uv"} & set(runtime) == set()
    assert {"pytest", "ruff", "mypy", "uv", "django", "prometheus-client", "sentry-sdk"} <= set(dev)


def test_a_dependency_the_lock_misses_or_pins_outside_its_range_is_named(tmp_path):
    runtime = f"django==5.2.1 \\\n{HASH}\npsycopg==3.2.3 \\\n{HASH}\n"
    dev = f"Django==5.1.9 \\\n{HASH}\npsycopg==3.2.3 \\\n{HASH}\n"
    write(tmp_path, runtime, dev)

    assert lock_problems(root=tmp_path) == [
        "requirements-dev.lock: django is locked at 5.1.9, outside <5.3,>=5.2",
        "requirements-dev.lock: pytest (pytest<10,>=8) is not locked (run `make lock`)",
    ]


def test_every_pin_of_a_package_pinned_under_several_markers_must_be_in_range(tmp_path):
    twice = (
        f"django==5.2.1 ; python_full_version >= '3.12' \\\n{HASH}\n"
        f"django==4.2.0 ; python_full_version < '3.12' \\\n{HASH}\n"
        f"psycopg==3.2.3 \\\n{HASH}\npytest==8.3.0 \\\n{HASH}\n"
    )
    write(tmp_path, twice, twice)

    assert lock_problems(root=tmp_path) == [
        "requirements.lock: django is locked at 4.2.0, outside <5.3,>=5.2",
        "requirements-dev.lock: django is locked at 4.2.0, outside <5.3,>=5.2",
    ]


def test_a_missing_lock_is_named(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)

    assert lock_problems(root=tmp_path) == [
        "requirements.lock: missing (run `make lock`)",
        "requirements-dev.lock: missing (run `make lock`)",
    ]
