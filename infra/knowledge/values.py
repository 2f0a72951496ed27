"""The concrete values a requirement or a case states (limits, sizes, durations, counts), so that
texts that read alike but test different values are never taken for duplicates: "between 10 and 64
characters" is not the "8 characters" case, "expire after 60 minutes" is not the 30-minute one."""

import re

_UNITS = {
    "character": "char", "characters": "char", "chars": "char", "char": "char", "letters": "char", "letter": "char",
    "digits": "digit", "digit": "digit",
    "seconds": "s", "second": "s", "secs": "s", "sec": "s", "s": "s", "ms": "ms", "milliseconds": "ms",
    "minutes": "min", "minute": "min", "mins": "min", "min": "min",
    "hours": "h", "hour": "h", "hrs": "h", "h": "h", "days": "d", "day": "d", "weeks": "w", "week": "w",
    "months": "mo", "month": "mo", "years": "y", "year": "y",
    "attempts": "attempt", "attempt": "attempt", "times": "attempt", "tries": "attempt",
    "items": "item", "item": "item", "users": "user", "user": "user", "requests": "request", "request": "request",
    "percent": "%", "%": "%", "mb": "mb", "kb": "kb", "gb": "gb", "bytes": "b", "b": "b",
    "eur": "eur", "usd": "usd", "€": "eur", "$": "usd",
}
_RANGE_OR_NUMBER = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)?)\s*(%|[a-zA-Z€$]+)?")
_CONNECTOR = re.compile(r"\s*(and|to|or|-|–)\s*", re.IGNORECASE)
_WORDS = {"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60, "hundred": 100}
_WORDED = re.compile(r"\b(" + "|".join(_WORDS) + r")\b((?:\s+[a-zA-Z]+){1,2})", re.IGNORECASE)  # "five (failed) attempts"
_STEP = re.compile(r"\b(step|scenario|case|fr|nfr|req|us)[\s-]*\d+", re.IGNORECASE)  # ids and numbering, not values


def values_of(text: str) -> frozenset[str]:
    """`64 char`, `30 min`, `5 attempt`, `2.5 s` ...: each number with its unit (when it has one)."""
    text = _STEP.sub(" ", text or "")
    found: set[str] = set()
    matches = list(_RANGE_OR_NUMBER.finditer(text))
    for i, match in enumerate(matches):
        number, unit = match.group(1), _UNITS.get((match.group(2) or "").lower(), "")
        if not unit and i + 1 < len(matches) and _CONNECTOR.fullmatch(text[match.end(1):matches[i + 1].start()]):
            unit = _UNITS.get((matches[i + 1].group(2) or "").lower(), "")  # "between 10 and 64 characters"
        value = number.replace(",", ".").rstrip("0").rstrip(".") if "." in number or "," in number else number
        found.add(f"{value} {unit}".strip())
    for word, following in _WORDED.findall(text):
        unit = next((_UNITS[w.lower()] for w in following.split() if w.lower() in _UNITS), None)
        if unit:
            found.add(f"{_WORDS[word.lower()]} {unit}")
    return frozenset(found)


def same_values(a: str, b: str) -> bool:
    """Whether two texts state the same values (both none counts as the same)."""
    return values_of(a) == values_of(b)
