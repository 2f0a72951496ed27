"""Steps from requirement sentences the EARS and condition patterns do not fit, still in the
requirement's own words: user stories ("As a clerk, I want to scan a delivery note so that ..."),
prohibitions ("A used reset link cannot be used again"), counted limits ("At most 5 reset requests
... are accepted per hour"), ranges ("must be between 12 and 128 characters"), timed statements
("shall boot in under 5 seconds", "every 30 seconds", "dim after 20 seconds without input"), what
an actor can do ("The user shall be able to define up to 6 schedule periods"), what a page or
message shows, and an acceptance criterion under a feature whose title says what to do ("Remove a
passkey" → "The user receives an email naming the removed passkey"). A sentence none of these fit
gives nothing: its case stays weak, and coverage says so."""

import re

from cognitest.infra.generation.offline.statements import Derived
from cognitest.infra.generation.offline.statements import _base as _verb_base  # Submitting -> Submit

_STORY = re.compile(r"^as an? (?P<role>[^,]+?),?\s+I (?:want|need|would like)\s+(?P<goal>.+?)"
                    r"(?:,?\s+so that\s+(?P<benefit>.+))?$", re.IGNORECASE)
_CANNOT = re.compile(r"^(?P<subject>.+?)\s+(?:cannot|can ?not|must not|shall not|may not)\s+be\s+(?P<pp>\w+ed|\w+en)\b"
                     r"(?P<rest>[^;:]*)(?:[;:]\s*(?P<after>.+))?$", re.IGNORECASE)
_COUNT = re.compile(r"^(?:at most|up to|no more than|a maximum of)\s+(?P<n>\d+)\s+(?P<noun>.+?)\s+(?:are|is|can be|may be)\s+"
                    r"(?P<pp>\w+ed)\b(?P<rest>.*)$", re.IGNORECASE)
_MODAL = re.compile(r"^(?P<subject>.+?)\s+(?P<modal>shall|must|should|will|can|may)\s+(?P<neg>not\s+)?(?P<pred>.+)$",
                    re.IGNORECASE)
_RANGE = re.compile(r"\bbetween\s+(?P<low>\d+(?:[.,]\d+)?)\s+and\s+(?P<high>\d+(?:[.,]\d+)?)\s*(?P<unit>[a-z%]*(?:\s+[a-z]+)?)",
                    re.IGNORECASE)
_WITHIN = re.compile(r"\b(within|in under|in less than|in at most)\s+\d", re.IGNORECASE)
_EVERY = re.compile(r"\bevery\s+(?P<n>\d+)\s+(?P<unit>seconds?|minutes?|hours?|days?)\b", re.IGNORECASE)
_AFTER = re.compile(r"\bafter\s+(?P<span>\d+\s+(?:seconds?|minutes?|hours?|days?))(?P<rest>(?:\s+(?:without|of)\s+[^,;.]+)?)",
                    re.IGNORECASE)
_ACTOR = re.compile(r"\b(user|customer|shopper|buyer|clerk|agent|admin(istrator)?|member|operator|owner|manager|lead|"
                    r"visitor|guest|reviewer|tester|developer|person|team)s?\b", re.IGNORECASE)
_SHOWN_ON = re.compile(r"^(?P<subject>(?:the|a|an|each|every)\s+(?:[\w\-\"“”']+\s+){0,4}?(?:page|screen|dialog|form|list|"
                       r"table|menu|email|message|notification|view|panel|report))\s+(?P<rest>\w+s\b.+)$", re.IGNORECASE)
_EVENT_SUBJECT = re.compile(r"^(?P<subject>(?:a|an)\s+(?:[\w\-]+\s+){0,3}?[\w\-]+)\s+(?P<verb>(?!is\b|are\b|has\b)\w+s)\s+"
                            r"(?P<rest>.+)$", re.IGNORECASE)
_GERUND_MODAL = re.compile(r"^(?P<verb>[A-Z][a-z]+ing)\s+(?P<object>.+?)\s+(?:shall|must|will|should)\s+(?P<rest>.+)$")
_NEEDS = re.compile(r"^(?P<subject>(?:[\w,.\-]+\s+){1,6}?)(?:needs?|requires?)\s+(?P<what>(?:a|an|the|two|\d+)\b.+)$",
                    re.IGNORECASE)
_STORED = re.compile(r"^be\s+(?P<pp>stored|kept|saved|logged|encrypted|hashed|retained|deleted|archived)\b(?P<rest>.*)$",
                     re.IGNORECASE)
_ACROSS = re.compile(r"\b(?:across|after|through)\s+(?P<event>(?:a|an)\s+(?:power loss|restart|reboot|outage|crash|"
                     r"network loss|failover)[^,;.]*)", re.IGNORECASE)
_SUCCEED_IN = re.compile(r"^(?P<verb>succeed|work|run|load|render|display)\s+(?P<rest>(?:in|on|with)\b.+)$", re.IGNORECASE)
_TRAILING_EVENT = re.compile(r"^(?P<main>.+?)\s+after\s+(?:every|each|a|an|the)\s+(?P<event>[\w\- ]{3,40})$", re.IGNORECASE)
_ACTION_VERBS = {
    "add", "approve", "book", "cancel", "change", "check", "choose", "close", "configure", "count", "create", "define",
    "delete", "download", "edit", "export", "filter", "import", "invite", "log", "manage", "open", "pay", "receive",
    "refund", "register", "reject", "remove", "request", "reset", "save", "scan", "schedule", "search", "select", "send",
    "set", "share", "show", "sign", "sort", "start", "stop", "submit", "update", "upload", "view", "give", "take",
}


def _cap(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:]


def _low(text: str) -> str:
    first = text.split(" ", 1)[0]
    return text if len(first) > 1 and first.isupper() else text[:1].lower() + text[1:]  # keeps "API", "PSP"


def _base_of(participle: str) -> str:
    """used -> use, removed -> remove, accepted -> accept, stored -> store, shared -> share."""
    word = participle.lower()
    if word.endswith("ied"):
        return word[:-3] + "y"
    if word.endswith("ed"):
        stem = word[:-2]
        if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "ls":
            return stem[:-1]
        if stem.endswith(("us", "ov", "ar", "ag", "at", "iz", "ur", "ut", "or", "os")):
            return stem + "e"
        return stem
    return word


def _third(verb: str, plural: bool) -> str:
    if plural:
        return verb
    if verb == "be":
        return "is"
    if verb == "have":
        return "has"
    if verb.endswith(("s", "sh", "ch", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    return verb + "s"


def _stated(subject: str, predicate: str) -> str:
    """'The display' + 'dim after 20 seconds' -> 'The display dims after 20 seconds'."""
    head = subject.split()[-1].lower()
    plural = head.endswith("s") and not head.endswith("ss")
    verb, _, rest = predicate.partition(" ")
    if verb.lower() == "be" and rest.lower().startswith("able to "):
        return f"{_cap(subject)} can {rest[8:]}"
    return f"{_cap(subject)} {_third(verb.lower(), plural)} {rest}".strip()


def _story(text: str) -> Derived | None:
    found = _STORY.match(text)
    if not found:
        return None
    role, goal, benefit = found.group("role"), found.group("goal").strip().rstrip("."), found.group("benefit")
    if goal.lower().startswith("to "):
        action = _cap(goal[3:])
    elif " when " in goal:
        what, _, when = goal.partition(" when ")
        return Derived(f"Signed in as {role}", _cap(when), f"The {role} gets {what}", "user story")
    else:
        action = f"Ask for {goal}"
    expected = _cap(benefit) if benefit else f"{_cap(goal[3:] if goal.lower().startswith('to ') else goal)} succeeds"
    return Derived(f"Signed in as {role}", action, expected, "user story")


def _modal(text: str) -> Derived | None:
    found = _MODAL.match(text)
    if not found or found.group("neg"):
        return None
    subject, pred = found.group("subject"), found.group("pred").strip().rstrip(".")
    if len(subject.split()) > 6 or (found.group("modal").lower() in ("can", "may") and len(subject.split()) > 4):
        return None  # "Each passkey gets a name the user can edit": the modal sits in a relative clause
    expected = _stated(subject, pred)
    verb = pred.split()[0].lower()
    if allowed := re.match(r"^(?:allow|enable|permit)\s+(?P<actor>.+?)\s+to\s+(?P<vp>.+)$|^let\s+(?P<actor2>(?:(?:a|an|the|any|every)\s+)?[\w-]+)\s+"
                           r"(?P<vp2>(?!be\b)\w+\b.*)$", pred, re.IGNORECASE):
        actor, vp = allowed.group("actor") or allowed.group("actor2"), allowed.group("vp") or allowed.group("vp2")
        return Derived(None, f"As {_low(actor)}, {vp}", f"{_cap(actor)} can {vp}", "what an actor may do")
    if ability := re.match(r"^be able to\s+(.+)$", pred, re.IGNORECASE):
        return Derived(None, f"As {_low(subject)}, {ability.group(1)}", expected, "what an actor can do")
    if found.group("modal").lower() == "can" and _ACTOR.search(subject):
        return Derived(None, f"As {_low(subject)}, {pred}", expected, "what an actor can do")
    if _WITHIN.search(pred):
        return Derived(None, f"Measure how long {_low(subject)} takes to {verb}", expected, "timed")
    if every := _EVERY.search(pred):
        span = f"{int(every.group('n')) * 3} {every.group('unit').rstrip('s')}s"
        return Derived(None, f"Observe {_low(subject)} for {span}", expected, "periodic")
    if after := _AFTER.search(pred):
        return Derived(None, f"Leave {_low(subject)} for {after.group('span')}{after.group('rest')}", expected, "timed")
    if provides := re.match(r"^provide\s+(?P<thing>(?:a|an|the)\s+\w+(?:\s+\w+)?)\s+to\s+(?P<vp>.+)$", pred, re.IGNORECASE):
        return Derived(None, f"Use {provides.group('thing')} to {provides.group('vp')}", expected, "what is provided")
    if stored := _STORED.match(pred):
        return Derived(None, f"Create {_low(subject)}, then inspect where and how it is {stored.group('pp')}",
                       expected, "stored as stated")
    if across := _ACROSS.search(pred):
        return Derived(None, f"Set up {_low(subject)}, then cause {across.group('event')}", expected, "survives an event")
    if works := _SUCCEED_IN.match(pred):
        return Derived(None, f"Use {_low(subject)} {works.group('rest')}", expected, "environments named")
    if rng := _RANGE.search(pred):
        unit = rng.group("unit").strip()
        return Derived(None, f"Set {_low(subject)} to {rng.group('low')} {unit}, then to {rng.group('high')} {unit}".replace("  ", " "),
                       f"Both values are accepted: {_low(expected)}", "range")
    return None


def _counted(text: str) -> Derived | None:
    found = _COUNT.match(text)
    if not found:
        return None
    n, noun, pp, rest = int(found.group("n")), found.group("noun"), found.group("pp"), found.group("rest").strip()
    scope = f" {rest}" if rest else ""
    return Derived(None, f"Make {n + 1} {noun}{scope}", f"The first {n} are {pp}; the {ordinal(n + 1)} is refused",
                   "counted limit")


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cannot(text: str) -> Derived | None:
    found = _CANNOT.match(text)
    if not found:
        return None
    subject, rest = found.group("subject"), found.group("rest").strip()
    action = f"Try to {_base_of(found.group('pp'))} {_low(subject)}" + (f" {rest}" if rest else "")
    expected = "It is refused" + (f"; {found.group('after').rstrip('.')}" if found.group("after") else "")
    return Derived(None, action, expected, "prohibition")


def _feature_action(context: str | None) -> str | None:
    """A feature title that says what to do: 'Remove a passkey', '3.1 Request a reset link'."""
    if not context:
        return None
    title = re.sub(r"^[\d.]+\s*", "", context).strip()
    first = title.split()[0].lower() if title.split() else ""
    return title if first in _ACTION_VERBS and len(title.split()) <= 8 else None


def derive(text: str, context: str | None = None) -> Derived | None:
    """Steps for `text`; `context` is the feature or story title the sentence sits under."""
    text = " ".join(text.split()).rstrip(".")
    for pattern in (_story, _cannot, _counted, _modal):
        if (found := pattern(text)) is not None:
            return found
    if gerund := _GERUND_MODAL.match(text):
        return Derived(None, f"{_verb_base(gerund.group('verb'))} {gerund.group('object')}",
                       f"It must {gerund.group('rest')}", "action first")
    if needs := _NEEDS.match(text):
        return Derived(None, f"Try {_low(needs.group('subject').strip())} without {needs.group('what')}",
                       f"It does not go through without {needs.group('what')}", "precondition")
    if shown := _SHOWN_ON.match(text):
        return Derived(None, f"Open {_low(shown.group('subject'))}", _cap(text), "shown on a page")
    if trailing := _TRAILING_EVENT.match(text):
        return Derived(None, f"Complete a {trailing.group('event')}", _cap(trailing.group("main")), "condition last")
    if (action := _feature_action(context)) is not None:
        return Derived(None, action, _cap(text), "criterion of its feature")
    if event := _EVENT_SUBJECT.match(text):
        return Derived(None, f"Carry out {_low(event.group('subject'))}", _cap(text), "event first")
    return None
