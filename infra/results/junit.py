"""JUnit XML (pytest, Maven Surefire, Gradle, jest-junit, go-junit-report/gotestsum, xUnit-style
exports) to a flat list of results. junitparser reads the format; defusedxml parses the XML, so
entity declarations (billion laughs, external entities) are refused instead of expanded."""

from dataclasses import dataclass
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from junitparser import Error, Failure, Skipped, TestCase, TestSuite


class MalformedReport(ValueError):
    """The file is not a JUnit XML report we can read; nothing is imported."""


@dataclass(frozen=True)
class JUnitResult:
    key: str
    classname: str
    name: str
    outcome: str  # passed | failed | error | skipped
    duration_ms: int
    message: str | None
    suite: str | None


def _suites(root: Any) -> list[TestSuite]:
    if root.tag == "testsuite":
        top = [TestSuite.fromelem(root)]
    elif root.tag == "testsuites":
        top = [TestSuite.fromelem(e) for e in root.findall("testsuite")]
    else:
        raise MalformedReport(f"the root element is <{root.tag}>, not <testsuites> or <testsuite>")
    out: list[TestSuite] = []
    stack = list(top)
    while stack:  # nested <testsuite> elements (Surefire, some CI tools) are walked too
        suite = stack.pop(0)
        out.append(suite)
        stack.extend(TestSuite.fromelem(e) for e in suite._elem.findall("testsuite"))  # noqa: SLF001
    return out


EXCERPT = 2_000  # characters of system-out / system-err kept with a failure


def _detail(result: Any, case: Any) -> str | None:
    """The message *and* the body of a failure (exporters put the diff, the panic or the
    stack in the body and often only "Failed" in the message), and excerpts of its output."""
    message = (result.message or "").strip()
    body = (result.text or "").strip()
    # the message first (when it is specific it is the best headline), then the whole body
    text = f"{message}\n{body}" if message and body and body != message else (body or message)
    for label, output in (("system-out", case.system_out), ("system-err", case.system_err)):
        output = (output or "").strip()
        if output and output not in text:
            text += f"\n--- {label} ---\n{output[:EXCERPT]}" + (" [...]" if len(output) > EXCERPT else "")
    return text or None


def _outcome(case: Any) -> tuple[str, str | None]:
    for result in case.result:
        if isinstance(result, Error):
            return "error", _detail(result, case)
        if isinstance(result, Failure):
            return "failed", _detail(result, case)
        if isinstance(result, Skipped):
            return "skipped", (result.message or result.text or "").strip() or None
    return "passed", None


def parse_junit(data: bytes, filename: str = "report.xml") -> list[JUnitResult]:
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise MalformedReport(f"{filename}: refused, the XML declares entities or a DTD ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001  ParseError and friends: malformed XML
        raise MalformedReport(f"{filename}: not well-formed XML ({exc})") from None
    results: list[JUnitResult] = []
    for suite in _suites(root):
        for case in (TestCase.fromelem(e) for e in suite._elem.findall("testcase")):  # noqa: SLF001  direct children
            classname = (case.classname or suite.name or "").strip()
            name = (case.name or "").strip()
            if not name:
                raise MalformedReport(f"{filename}: a <testcase> in suite {suite.name!r} has no name")
            outcome, message = _outcome(case)
            results.append(JUnitResult(
                key=f"{classname}::{name}" if classname else name, classname=classname, name=name, outcome=outcome,
                duration_ms=int(round(float(case.time or 0) * 1000)), message=message[:20_000] if message else None,
                suite=suite.name,
            ))
    if not results:
        raise MalformedReport(f"{filename}: no test cases in the report")
    return results


__all__ = ["JUnitResult", "MalformedReport", "parse_junit"]
