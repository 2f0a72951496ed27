"""Maps the top-level folders under the one `cognitest` import name.

pyproject.toml holds the metadata; this file only lists packages, because setuptools cannot
discover packages whose import path differs from their folder without help.
"""

from pathlib import Path

from setuptools import setup

ROOTS = ("schemas", "infra", "producers", "consumers", "workflows")


def _packages() -> tuple[list[str], dict[str, str]]:
    packages: list[str] = []
    package_dir: dict[str, str] = {}
    for root in ROOTS:
        package_dir[f"cognitest.{root}"] = root
        for init in sorted(Path(root).rglob("__init__.py")):
            parts = init.parent.parts
            packages.append(".".join(("cognitest", *parts)))
    # folders of package data (templates, static files, migration scripts) are packages too, or
    # setuptools warns that they are importable but not listed
    for data in ("infra/db/migrations", "infra/db/migrations/versions", "producers/web/static", "producers/web/templates",
                 "infra/insight/templates"):
        name = ".".join(("cognitest", *Path(data).parts))
        if name not in packages:
            packages.append(name)
    return packages, package_dir


packages, package_dir = _packages()
setup(packages=packages, package_dir=package_dir)
