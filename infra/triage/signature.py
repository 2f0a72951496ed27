"""A failure's signature: what stays the same when the same fault happens again.

The error message is normalised (ids, numbers, hex, timestamps, paths, URLs' variable parts and
quoted values stripped), the top frames of the stack are kept as function and file names, and the
failing step's action is added. Equal signatures mean the same root cause; the normalised text is
also kept for similarity matching when signatures differ."""

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


def _url(url: str) -> str:
    base = url.split("?", 1)[0].split("#", 1)[0]
    return re.sub(r"/(\d+|[0-9a-f]{8,}(-[0-9a-f]{4,})*)(?=/|$)", "/<id>", base, flags=re.I)


def normalise(message: str) -> str:
    text = message
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)  # type: ignore[arg-type]
    return text.strip().lower()


def headline(error: str) -> str:
    """The error's first meaningful line (skipping 'Traceback' and frame lines)."""
    lines = [line.strip() for line in error.strip().splitlines() if line.strip()]
    frames = ("Traceback", "File ", "at ")
    meaningful = [line for line in lines if not line.startswith(frames)]
    if lines and lines[0].startswith("Traceback") and meaningful:
        return meaningful[-1][:500]  # Python puts the exception last
    return (meaningful[0] if meaningful else lines[0] if lines else "")[:500]


def top_frames(error: str, limit: int = 3) -> list[str]:
    frames: list[str] = []
    py = _PY_FRAME.findall(error)
    if py:
        frames = [f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{func}" for path, func in reversed(py)]
    else:
        for func, path in _JS_FRAME.findall(error) or _JAVA_FRAME.findall(error):
            frames.append(f"{path.replace(chr(92), '/').rsplit('/', 1)[-1]}:{func.strip()}")
    return frames[:limit]


@dataclass(frozen=True)
class Signature:
    digest: str
    text: str  # normalised headline, frames and step: what similarity compares
    headline: str


def signature_of(error: str, failing_step: str | None = None) -> Signature:
    first = headline(error)
    parts = [normalise(first), *top_frames(error)]
    if failing_step:
        parts.append("step:" + normalise(failing_step))
    text = " | ".join(p for p in parts if p)
    return Signature(digest=hashlib.sha256(text.encode()).hexdigest()[:32], text=text, headline=first)
