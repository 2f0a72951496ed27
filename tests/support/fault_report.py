"""The fault suite's summary: one row per fault, printed at the end of the test session."""

from dataclasses import dataclass, field


@dataclass
class FaultRow:
    fault: str
    events_in: int
    applied: int
    duplicates: int
    lost: int
    recover_seconds: float
    note: str = ""


@dataclass
class FaultReport:
    rows: list[FaultRow] = field(default_factory=list)

    def add(self, fault: str, events_in: int, applied: int, duplicates: int, lost: int, recover_seconds: float,
            note: str = "") -> None:
        self.rows.append(FaultRow(fault, events_in, applied, duplicates, lost, round(recover_seconds, 1), note))

    def lines(self) -> list[str]:
        head = f"{'fault':<46}{'events in':>10}{'applied':>9}{'dupes':>7}{'lost':>6}{'recover s':>11}  note"
        out = [head, "-" * len(head)]
        for r in self.rows:
            out.append(f"{r.fault:<46}{r.events_in:>10}{r.applied:>9}{r.duplicates:>7}{r.lost:>6}{r.recover_seconds:>11}  {r.note}")
        return out


REPORT = FaultReport()
