"""Steps from a requirement's own sentence when it has no Given/When/Then: the EARS patterns
(event "When <trigger>, the <system> shall <response>", unwanted "If <condition>, then ...", state
"While <state>, ...", optional "Where <feature>, ..."), a leading condition ("After <event>, ..."),
and a criterion that starts with what a person does ("Submitting a registered email address sends
..."). Each gives what to do and what to see in the requirement's own words; a sentence that names
no action gives nothing, and its case stays a placeholder that coverage counts as weak."""

import re
from dataclasses import dataclass

_EARS = re.compile(r"^(?P<kind>when|if|while|where)\s+(?P<cond>.+?),\s*(?:then\s+)?(?P<response>(?:the|a|an|each|every|all)\b.+)$",
                   re.IGNORECASE)
_LEADING = re.compile(r"^(?P<kind>after|once|on|upon|before)\s+(?P<cond>.+?),\s*(?P<response>.+)$", re.IGNORECASE)
_GERUND = re.compile(r"^(?P<verb>[A-Z][a-z]+ing)\s+(?P<object>.+?)\s+(?P<rest>(?:sends|shows|returns|creates|displays|"
                     r"redirects|opens|logs|locks|rejects|accepts|saves|deletes|adds|removes|updates|starts|stops|"
                     r"triggers|produces|gives|leads to|results in)\b.+)$")
# "After a successful reset all other sessions ... are signed out": the main clause starts at a quantifier
_LEADING_BARE = re.compile(r"^(?P<kind>after|once|when|before)\s+(?P<cond>\S+(?:\s+\S+){1,8}?)\s+"
                           r"(?P<response>(?:all|every|each|no|any)\s+.+)$", re.IGNORECASE)
_SHOWN = re.compile(r"\b(is|are)\s+(shown|displayed|visible|listed|present)\b.*?(?P<path>(?<![\w/])/[\w\-/]*\w)", re.IGNORECASE)


@dataclass
class Derived:
    preconditions: str | None
    action: str
    expected: str
    pattern: str


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:]


def _base(gerund: str) -> str:
    """Submitting -> Submit, Entering -> Enter, Using -> Use, Clicking -> Click."""
    stem = gerund[:-3]
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
        return stem[:-1]  # Submitting -> Submitt -> Submit
    if stem.lower().endswith(("us", "clos", "sav", "creat", "delet", "updat", "remov", "mov", "choos", "enabl",
                              "disabl", "configur", "requir", "chang", "manag", "us", "writ")):
        return stem + "e"
    return stem


def derive(text: str) -> Derived | None:
    text = " ".join(text.split())
    if found := _EARS.match(text):
        kind, cond, response = found.group("kind").lower(), found.group("cond"), found.group("response")
        expected = _sentence(response)
        if kind == "while":
            return Derived(None, f"Bring about the state: {cond}", expected, "EARS state")
        if kind == "where":
            return Derived(_sentence(cond), f"Set up the option ({cond}), then use the feature", expected, "EARS optional")
        label = "EARS event" if kind == "when" else "EARS unwanted behaviour"
        return Derived(None, _sentence(cond) if kind == "when" else f"Cause the condition: {cond}", expected, label)
    if found := _LEADING.match(text) or _LEADING_BARE.match(text):
        cond = found.group("cond")
        if re.match(r"^(a|an|the|every|each)\s", cond, re.IGNORECASE) and len(cond.split()) <= 4:
            cond = f"complete {cond}"  # "After a successful reset" -> "Complete a successful reset"
        return Derived(None, _sentence(cond), _sentence(found.group("response")), "condition first")
    if found := _SHOWN.search(text):
        return Derived(None, f"Open {found.group('path')}", _sentence(text), "shown on a page")
    if found := _GERUND.match(text):
        action = f"{_base(found.group('verb'))} {found.group('object')}"
        return Derived(None, _sentence(action), _sentence(text), "action first")
    return None
