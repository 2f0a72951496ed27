"""What a requirement says that a tester can use: numeric limits, formats, required fields,
enumerations, risky topics, UI flows and endpoints."""

import re
from dataclasses import dataclass

_NUM = r"(\d+(?:[.,]\d+)?)"
_UNIT = r"(characters?|chars?|digits?|letters?|items?|products?|attempts?|tries|times|files?|MB|KB|GB|bytes|" \
        r"minutes?|seconds?|hours?|days?|years?|users?|rows?|words?|%|percent|euros?|dollars?|€|\$)?"


@dataclass(frozen=True)
class Limit:
    subject: str
    low: float | None
    high: float | None
    unit: str
    integral: bool


_RANGE = re.compile(rf"(?:between\s+{_NUM}\s+and\s+{_NUM}|from\s+{_NUM}\s+to\s+{_NUM}|{_NUM}\s*(?:-|–|to)\s*{_NUM})\s*{_UNIT}",
                    re.IGNORECASE)
_MIN = re.compile(rf"(?:at least|minimum(?: of)?|no (?:less|fewer) than|min\.?)\s+{_NUM}\s*{_UNIT}", re.IGNORECASE)
_MAX = re.compile(rf"(?:at most|maximum(?: of)?|no more than|up to|not exceed(?:ing)?|max\.?|limited to)\s+{_NUM}\s*{_UNIT}",
                  re.IGNORECASE)
_AFTER = re.compile(rf"after\s+{_NUM}\s+(failed|unsuccessful|invalid|wrong)\s+(attempts?|tries|logins?)", re.IGNORECASE)
_SUBJECT = re.compile(r"\b(?:the\s+)?([a-z][a-z]+(?: [a-z]+){0,3}?)\s+(?:must|shall|should|may|is|are|can|has to)\b", re.IGNORECASE)
_COUNTED = re.compile(r"\s*([a-z][a-z\-]+(?:\s+[a-z][a-z\-]+)?s)\b(?!\s+(?:of|must|shall|is|are)\b)", re.IGNORECASE)  # "at most 10 passkeys": what is counted


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _subject(text: str) -> str:
    match = _SUBJECT.search(text)
    subject = match.group(1).strip() if match else "value"
    subject = re.sub(r"\s+(the|a|an)\s+(user|customer|person|member)s?$", "", subject, flags=re.IGNORECASE)
    return re.sub(r"^(the|a|an|each|every|all)\s+", "", subject, flags=re.IGNORECASE)


def limits(text: str) -> list[Limit]:
    found: list[Limit] = []
    subject = _subject(text)
    for match in _RANGE.finditer(text):
        numbers = [g for g in match.groups()[:-1] if g]
        unit = (match.groups()[-1] or "").strip()
        if len(numbers) == 2 and (unit or "between" in match.group(0).lower()):
            low, high = sorted((_number(numbers[0]), _number(numbers[1])))
            found.append(Limit(subject, low, high, unit, "." not in numbers[0] + numbers[1]))
    if not found:
        for match in _MIN.finditer(text):
            found.append(Limit(subject, _number(match.group(1)), None, (match.group(2) or "").strip(), True))
        for match in _MAX.finditer(text):
            unit = (match.group(2) or "").strip()
            counted = None if unit else _COUNTED.match(text, match.end())
            # "at most 10 passkeys": a count of things, not a value of the sentence's subject
            found.append(Limit(counted.group(1) if counted else subject, None, _number(match.group(1)),
                               "count" if counted else unit, True))
    for match in _AFTER.finditer(text):
        found.append(Limit("failed attempts", None, _number(match.group(1)) - 1, "attempts", True))
    return found


def boundary_values(limit: Limit) -> list[tuple[float, bool]]:
    """(value, accepted) pairs: just outside, on, and inside each edge."""
    step = 1 if limit.integral else 0.01
    values: list[tuple[float, bool]] = []
    if limit.low is not None:
        values += [(limit.low - step, False), (limit.low, True)]
    if limit.high is not None:
        values += [(limit.high, True), (limit.high + step, False)]
    return [(round(v, 2), ok) for v, ok in values if v >= 0 or ok]


FORMATS = {
    "email": (re.compile(r"\be-?mail( address)?\b", re.I), ["plainaddress", "user@", "@example.com", "user@@example.com"],
              "user@example.com"),
    "phone number": (re.compile(r"\bphone( number)?\b|\bmobile number\b", re.I), ["12ab34", "+", "123"], "+44 20 7946 0958"),
    "URL": (re.compile(r"\b(url|web address|link)\b", re.I), ["htp:/broken", "example", "javascript:alert(1)"],
            "https://example.com"),
    "date": (re.compile(r"\b(date|birthday|date of birth)\b", re.I), ["31/02/2024", "2024-13-01", "yesterday"], "2024-05-17"),
    "postcode": (re.compile(r"\b(post ?code|zip ?code)\b", re.I), ["!!!!", "1"], "SW1A 1AA"),
    "card number": (re.compile(r"\b(card number|credit card|debit card)\b", re.I), ["4242 4242 4242 4241", "1234"],
                    "4242 4242 4242 4242"),
}


def formats(text: str) -> list[str]:
    lowered = text.lower()
    if not re.search(r"\b(valid|format|well-formed|must be a|correct)\b", lowered):
        return []
    return [name for name, (pattern, _bad, _good) in FORMATS.items() if pattern.search(text)]


_REQUIRED = re.compile(r"\b(?:the\s+)?([a-z][a-z ]{2,30}?)\s+(?:is|are)\s+(?:required|mandatory)\b|"
                       r"\b(?:must|shall)\s+(?:provide|enter|supply|specify)\s+(?:a|an|the|their)?\s*([a-z][a-z ]{2,30}?)\b",
                       re.IGNORECASE)


def required_fields(text: str) -> list[str]:
    fields = []
    for match in _REQUIRED.finditer(text):
        name = (match.group(1) or match.group(2) or "").strip()
        name = re.sub(r"^(the|a|an)\s+", "", name, flags=re.IGNORECASE)
        if name and name.lower() not in ("it", "this", "that", "system"):
            fields.append(name)
    return fields


_ENUM = re.compile(r"\b(?:one of|either|choose from|options? (?:are|is)|values? (?:are|is))\s*:?\s*"
                   r"((?:[\w\- ]+,\s*)+[\w\- ]+?\s*(?:,?\s*(?:or|and)\s+[\w\- ]+))", re.IGNORECASE)


def enumerations(text: str) -> list[list[str]]:
    out = []
    for match in _ENUM.finditer(text):
        parts = re.split(r",\s*|\s+or\s+|\s+and\s+", match.group(1))
        values = [p.strip(" .") for p in parts if p.strip(" .")]
        if 2 <= len(values) <= 12:
            out.append(values)
    return out


TOPICS = {
    # about checking who someone is, not any sentence that names a password (a password policy is not a login form)
    "authentication": re.compile(r"\b(log ?in|sign ?in|authenticat|credential|2fa|mfa|otp|(current|existing) password)\w*",
                                 re.I),
    "session": re.compile(r"\b(session|token|cookie|log ?out|sign ?out|remember me)\w*", re.I),
    "upload": re.compile(r"\b(upload|attachment|file)\w*", re.I),
    "payment": re.compile(r"\b(payment|pay|card|checkout|invoice|refund|billing)\w*", re.I),
    # personal data a system keeps and shows, not an email address it sends a message to
    "personal data": re.compile(r"\b(personal data|(home|postal|billing|shipping|delivery) address|phone( number)?|"
                                r"date of birth|gdpr|profile|pii|(stores?|saves?|edits?|updates?|changes?|shows?|displays?) "
                                r"(their|the user's|a user's|his|her) (e-?mail|name|address))\b", re.I),
    "authorisation": re.compile(r"\b(admin|role|permission|authori[sz]|access control|only (the )?owner)\w*", re.I),
}


def topics(text: str) -> list[str]:
    return [name for name, pattern in TOPICS.items() if pattern.search(text)]


_UI = re.compile(r"\b(page|screen|form|button|field|click|enter|fill|select|dialog|menu|link|tab)\b", re.I)
_PATH = re.compile(r"(?<![\w/])(/[a-z0-9][a-z0-9\-_/]*)", re.I)
_ENDPOINT = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE)\s+(/[\w\-/{}.:]*)")
_FIELD_LIST = re.compile(r"\b(?:with|enter|enters|using|provide|provides|fill in)\s+(?:their|an?|the|his|her)?\s*"
                         r"([a-z][a-z ]{1,25}?)(?:\s+and\s+(?:their|an?|the)?\s*([a-z][a-z ]{1,25}?))?\s*(?:[.,;]|$|\bto\b|\bon\b|\band\b)",
                         re.IGNORECASE)
_BUTTON = re.compile(r"(?:click|press|tap)s?\s+(?:on\s+)?(?:the\s+)?[\"“']([^\"”']{1,40})[\"”']", re.IGNORECASE)


def is_ui(text: str) -> bool:
    return bool(_UI.search(text))


def paths(text: str) -> list[str]:
    return [p for p in _PATH.findall(text) if not p.startswith("//") and len(p) > 1]


def endpoints(text: str) -> list[tuple[str, str]]:
    return [(m.group(1).upper(), m.group(2)) for m in _ENDPOINT.finditer(text)]


def form_fields(text: str) -> list[str]:
    match = _FIELD_LIST.search(text)
    if not match:
        return []
    return [f.strip() for f in match.groups() if f and len(f.strip()) > 1]


def button(text: str) -> str | None:
    match = _BUTTON.search(text)
    return match.group(1) if match else None


_WITHIN = re.compile(rf"within\s+{_NUM}\s*(ms|milliseconds?|seconds?|s)\b", re.IGNORECASE)


def response_time(text: str) -> float | None:
    match = _WITHIN.search(text)
    if not match:
        return None
    value = _number(match.group(1))
    return value / 1000 if match.group(2).lower().startswith("m") else value
