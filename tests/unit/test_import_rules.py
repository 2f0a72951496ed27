"""The folder import rules of the design guide, and no import cycles between modules."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("schemas", "infra", "producers", "consumers", "workflows")
ALLOWED = {
    "schemas": set(),
    "infra": {"schemas"},
    "producers": {"schemas", "infra"},
    "consumers": {"schemas", "infra"},
    "workflows": {"schemas", "infra"},
}
THIRD_PARTY_IN_SCHEMAS = {"pydantic", "pydantic_core", "typing_extensions", "annotated_types"}


def modules() -> dict[str, Path]:
    found = {}
    for folder in FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found["cognitest." + ".".join(parts)] = path
    return found


def imports_of(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            raise AssertionError(f"{path}:{node.lineno}: use absolute cognitest.* imports")
    return out


def arrow_violations(folder: str, path: Path, imports: list[tuple[int, str]]) -> list[str]:
    import sys

    bad = []
    for line, target in imports:
        head, *rest = target.split(".")
        if head in FOLDERS:
            bad.append(f"{path}:{line} imports {target} (use cognitest.{target})")
        if head == "cognitest" and rest:
            other = rest[0]
            if other != folder and other not in ALLOWED[folder]:
                bad.append(f"{path}:{line}: {folder} may not import {other} ({target})")
        if folder == "schemas" and head not in THIRD_PARTY_IN_SCHEMAS and head != "cognitest" \
                and head not in sys.stdlib_module_names:
            bad.append(f"{path}:{line}: schemas may import pydantic and the standard library only ({target})")
    return bad


def test_no_forbidden_arrows() -> None:
    bad = []
    for name, path in modules().items():
        bad += arrow_violations(name.split(".")[1], path, imports_of(path))
    assert not bad, "\n".join(bad)


def test_no_import_cycles() -> None:
    mods = modules()
    graph: dict[str, set[str]] = {}
    for name, path in mods.items():
        deps = set()
        for _line, target in imports_of(path):
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                deps.add(target)
        graph[name] = deps
    # package __init__ modules re-export their children; an edge into a package counts only
    # when the package module itself imports back
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_rule_checker_catches_forbidden_arrows(tmp_path: Path) -> None:
    """The checker is not vacuous."""
    bad = tmp_path / "bad.py"
    bad.write_text("from cognitest.producers.api.app import create_app\nimport sqlalchemy\nimport infra.settings\n")
    found = arrow_violations("consumers", bad, imports_of(bad))
    assert any("consumers may not import producers" in f for f in found)
    assert any("use cognitest.infra.settings" in f for f in found)
    assert any("schemas may import pydantic" in f for f in arrow_violations("schemas", bad, imports_of(bad)))
    assert arrow_violations("producers", bad, [(1, "cognitest.infra.settings")]) == []


def test_no_generic_top_level_names_are_installed() -> None:
    setup = (ROOT / "setup.py").read_text()
    assert 'package_dir[f"cognitest.{root}"] = root' in setup
    import cognitest.infra
    import cognitest.schemas

    assert Path(cognitest.schemas.__file__).parent == ROOT / "schemas"
    assert Path(cognitest.infra.__file__).parent == ROOT / "infra"
