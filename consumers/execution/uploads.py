"""Files an upload step may send: only files of the configured fixtures directory, checked
again at run time (the step was checked when it was stored; variables and symlinks are only
known now). Nothing else on the machine running the tests can reach the site under test."""

from pathlib import Path

from cognitest.infra.execution_guard import TargetRefused
from cognitest.schemas.steps import upload_source


def resolve_uploads(names: list[str], fixtures: Path | None) -> list[str]:
    if fixtures is None:
        raise TargetRefused("upload steps need a fixtures directory (COGNITEST_EXECUTION__FIXTURES_DIR): "
                            "no file of this machine is uploaded otherwise")
    root = fixtures.resolve()
    paths = []
    for name in names:
        try:
            upload_source(name)
        except ValueError as exc:
            raise TargetRefused(f"upload of {name!r} refused: {exc}") from None
        path = (root / name).resolve()  # follows symlinks: one pointing out of the fixtures is refused
        if not path.is_relative_to(root):
            raise TargetRefused(f"upload of {name!r} refused: it resolves outside the fixtures directory")
        if not path.is_file():
            raise TargetRefused(f"upload of {name!r} refused: no such file in the fixtures directory")
        paths.append(str(path))
    return paths
