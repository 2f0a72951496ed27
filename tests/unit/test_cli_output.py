"""Tables at 80 columns never cut an id: it is what the next command needs."""

import io
import uuid

from rich.console import Console

import cognitest.producers.cli.output as output


def test_ids_stay_whole_in_a_narrow_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(output, "console", Console(file=io.StringIO(), width=80))
    ids = [str(uuid.uuid4()) for _ in range(3)]
    output.show({"items": [{"id": i, "suite_id": i, "title": "A rather long title for a case that goes on and on",
                            "status": "draft"} for i in ids]}, as_json=False, columns=["id", "suite_id", "title", "status"])
    printed = output.console.file.getvalue()  # type: ignore[attr-defined]
    assert all(printed.count(i) == 2 for i in ids), printed
