"""A failure's signature: what stays the same when the same fault happens again.

The error's first specific line is normalised (ids, numbers, hex, timestamps, paths, URLs'
variable parts and quoted values stripped), the top frames of the stack are kept as function and
file names, and the failing step's action is added. When nothing in the failure points at a cause
other tests can share (frames, an endpoint, an element), the test's identity is part of the
signature. Equal signatures mean the same root cause; the normalised text is also kept for
similarity matching when signatures differ."""

import hashlib
import re
from dataclasses import dataclass

_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?\b"), "<time>"),
    (re.compile(r"\b\d{1,2}:\d{2}:\d{2}(\.\d+)?\b"), "<time>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\b0x[0-9a-f]+\b", re.I), "<hex>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.I), "<hex>"),
    (re.compile(r"https?://[^\s'\"<>]+"), lambda m: _url(m.group(0))),  # type: ignore[list-item]
    (re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?"), "<path>"),
    (re.compile(r"'[^']{0,200}'|\"[^\"]{0,200}\""), "<str>"),
    (re.compile(r"\b\d+(\.\d+)?(ms|s|px|%)?\b"), "<n>"),
    (re.compile(r"\s+"), " "),
]
_PY_FRAME = re.compile(r'File "([^"]+)", line \d+, in (\S+)')
_JS_FRAME = re.compile(r"^\s*at (?:async )?([\w$.<>\[\] ]+?) \(([^()]+?)(?::\d+)*\)", re.M)
_JAVA_FRAME = re.compile(r"^\s*at ([\w$.]+)\(([\w$.]+)(?::\d+)?\)", re.M)
# Go: "pkg/path.(*Type).Method(...)" then "\t/path/file.go:88 +0x1d" (runtime and testing frames skipped)
_GO_FRAME = re.compile(r"^\s*(\S+)\([^()\n]*\)[ \t]*\n\s+(\S+\.go):\d+", re.M)
_TEST_FILE = re.compile(r"(^|/)(test_[^/]*\.py|[^/]*_test\.(py|go)|[^/]*\.(test|spec)\.[cm]?[jt]sx?|"
                        r"[^/]*Tests?\.(java|kt|php|cs)|Test[^/]*\.(java|kt|php))$")


def _url(url: str) -> str:
    base = url.split("?", 1)[0].split("#", 1)[0]
    return re.sub(r"/(\d+|[0-9a-f]{8,}(-[0-9a-f]{4,})*)(?=/|$)", "/<id>", base, flags=re.I)


def normalise(message: str) -> str:
    text = message
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)  # type: ignore[arg-type]
    return text.strip().lower()


# Messages some exporters put in front of every failure (gotestsum "Failed", PHPUnit and jest
# "Failed asserting...", bare exception names): they say nothing about *what* failed, so the
# headline is taken from the body below them.
_GENERIC = re.compile(r"^(failed|failure|fail|error|errors?:?|test failed|assertion ?error|assertion failed|"
                      r"expect(ed|ation failed)?|failed asserting that .{0,20}|uncaught exception|exception|"
                      r"=+ ?(run|fail|failures?) ?.*|---+ ?fail:? .*|\S+_test\.go:\d+:?)\.?:?$", re.I)
_NOISE = ("Traceback", "File ", "at ", "--- system-", "=== RUN", "--- FAIL", "--- PASS", "Error Trace:", "Test:")


def headline(error: str) -> str:
    """The error's first meaningful line: frames, 'Traceback', runner chatter and generic words
    ("Failed", "AssertionError" alone) are skipped for the first line that says what failed."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    meaningful = [line for line in lines if not line.startswith(_NOISE)]
    if lines and lines[0].startswith("Traceback") and meaningful:
        return meaningful[-1][:500]  # Python puts the exception last
    specific = [line for line in meaningful if not _GENERIC.match(line)]
    chosen = specific or meaningful or lines
    return " ".join((chosen[0] if chosen else "").split())[:500]  # tabs and runs of spaces as one space


# host:port (not file.go:42, a source line), URLs, HTTP methods with paths, locators, DNS and socket errors
_ENDPOINT = re.compile(r"https?://|(?<![\w.-])(?![\w.-]+\.(?:go|py|js|jsx|ts|tsx|java|kt|php|rb|cs|rs|c|cc|cpp|h|swift|scala)\b)"
                       r"[\w.-]+:\d{2,5}\b|\b(GET|POST|PUT|PATCH|DELETE) /|locator\(|ENOTFOUND|"
                       r"\bid=[\w.:/]+|\[Errno \d+\]")


def shared_evidence(error: str, first: str) -> bool:
    """Does the failure carry evidence of a cause other tests can share: frames of code, a failing
    endpoint or host, an element's locator? Without it, only the same test failing the same way
    again is the same issue."""
    return bool(code_frames(error)) or bool(_ENDPOINT.search(first))


def code_frames(error: str) -> list[str]:
    """The top frames outside test files (the code under test)."""
    return [f for f in top_frames(error, limit=6) if not _TEST_FILE.search(f.split(":", 1)[0])][:3]


def top_frames(error: str, limit: int = 3) -> list[str]:
    frames: list[str] = []
    py = _PY_FRAME.findall(error)
    if py:
        frames = [f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{func}" for path, func in reversed(py)]
    else:
        for func, path in _JS_FRAME.findall(error) or _JAVA_FRAME.findall(error):
            frames.append(f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{func.strip()}")
        if not frames:
            for func, path in _GO_FRAME.findall(error):
                if "/runtime/" in path or "/testing/" in path or func.startswith(("runtime.", "testing.")):
                    continue
                frames.append(f"{path.rsplit('/', 1)[-1]}:{func.rsplit('/', 1)[-1]}")
    return frames[:limit]


@dataclass(frozen=True)
class Signature:
    digest: str
    text: str  # normalised headline, frames and step: what similarity compares
    headline: str


def signature_of(error: str, failing_step: str | None = None, identity: str | None = None) -> Signature:
    """`identity` (the test's key) joins the signature when the failure shows no evidence of a
    shared cause: two tests whose reports say only "expected 5, got 6" are two issues."""
    first = headline(error)
    # frames of the code under test say where the fault is; a test's own frames only say which
    # test it was (that is `identity`'s job), so they count only when there is nothing else
    parts = [normalise(first), *(code_frames(error) or top_frames(error))]
    if failing_step:
        parts.append("step:" + normalise(failing_step))
    if identity and not shared_evidence(error, first):
        parts.append("test:" + identity.strip().lower())
    text = " | ".join(p for p in parts if p)
    return Signature(digest=hashlib.sha256(text.encode()).hexdigest()[:32], text=text, headline=first)
