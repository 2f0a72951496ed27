"""Requirement text in canonical words, so a requirement reworded for another product finds the
history of the first: domain synonyms folded to one word ("sign in", "log on" → log in;
"passphrase" → password; "basket" → cart; "member", "shopper", "partner" → user), values and units
dropped (a limit's number is what differs between products; duplicates still compare values, see
values.py), modal verbs and filler words removed. Chosen on the labelled paraphrase set
(tests/fixtures/knowledge/paraphrases.json): see bench/retrieval.py for the scores."""

import re

CANONICAL_FORM = "canonical-1"  # stored with each requirement point: a new form means re-embedding

# longest phrases first; each maps to the canonical word or phrase
_SYNONYMS: list[tuple[str, str]] = [
    (r"sign(?:s|ed|ing)?[- ]?in|log(?:s|ged|ging)?[- ]?(?:in|on)|login|logon|authenticat\w*", "login"),
    (r"sign(?:s|ed|ing)?[- ]?out|log(?:s|ged|ging)?[- ]?(?:out|off)|logout", "logout"),
    (r"sign(?:s|ed|ing)?[- ]?up|signup|register(?:s|ed|ing)?|registration|enrol+(?:s|ed|ing|ment)?|join(?:s|ed|ing)?|"
     r"create an account", "register"),
    (r"pass ?phrases?|passwords?|pass ?codes?|pins?\b", "password"),
    (r"e-?mail(?: address(?:es)?)?|mail address(?:es)?|inbox", "email"),
    (r"forgot(?:ten)?|recover(?:y|s|ed|ing)?|reset(?:s|ting)?", "reset"),
    (r"shopping cart|cart|basket|bag|trolley", "cart"),
    (r"purchases?|orders?|buy(?:s|ing)?|bought|checkout", "order"),
    (r"items?|products?|articles?|goods", "product"),
    (r"users?|members?|shoppers?|customers?|clients?|visitors?|guests?|partners?|buyers?|accounts? holders?", "user"),
    (r"admins?|administrators?|operators?", "admin"),
    (r"remov(?:e|es|ed|ing)|delet(?:e|es|ed|ing)|eras(?:e|es|ed|ing)|discard(?:s|ed|ing)?", "delete"),
    (r"add(?:s|ed|ing)?|put(?:s|ting)?|insert(?:s|ed|ing)?", "add"),
    (r"deactivat\w*|disabl\w*|suspend\w*|block\w*|lock\w*|freez\w*", "lock"),
    (r"attempts?|tries|tried", "attempt"),
    (r"fail(?:s|ed|ing|ures?)?|unsuccessful|wrong|invalid|incorrect", "fail"),
    (r"pages?|screens?|views?|forms?", "page"),
    (r"upload(?:s|ed|ing)?|attach(?:es|ed|ing)?", "upload"),
    (r"files?|documents?|invoices?|contracts?|attachments?", "file"),
    (r"sessions?|idle|inactiv\w*|without activity", "session"),
    (r"expir\w*|ends? automatically|time(?:s|d)? out|timeout", "expire"),
    (r"profiles?|settings|preferences", "profile"),
    (r"chang(?:e|es|ed|ing)|updat(?:e|es|ed|ing)|edit(?:s|ed|ing)?", "change"),
    (r"search(?:es|ed|ing)?|look(?:s|ing)? up|find(?:s|ing)?|query|search term", "search"),
    (r"confirmation(?: message| email)?|receipts?", "confirmation"),
    (r"respond\w*|responses?|load(?:s|ed|ing)?|latency", "respond"),
    (r"requir(?:e|ed|es)|mandatory|compulsory", "required"),
    (r"valid|well[- ]formed", "valid"),
    (r"vat|sales tax|tax(?:es)?", "tax"),
    (r"delivery fee|shipping(?: costs?| fee)?|delivery", "shipping"),
    (r"totals?|amounts? to pay|sum", "total"),
    (r"quantit(?:y|ies)|number of (?:items|products|units)|units?", "quantity"),
    (r"lines?|rows?", "line"),
    (r"names?|titles?", "name"),
    (r"status(?:es)?|states?", "status"),
    (r"requests?|visits?|hits?|calls?|page views?", "requests"),
    (r"capitali[sz]ation|upper and lower case|case", "case"),
]
_COMPILED = [(re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), word) for pattern, word in _SYNONYMS]
_VALUE = re.compile(r"(?<![\w/])\d+(?:[.,]\d+)?\s*(?:%|percent|ms|s|seconds?|minutes?|hours?|days?|mb|kb|gb|megabytes?|"
                    r"characters?|chars?|eur|usd|€|\$)?(?!\w)|\bhalf an hour\b|\ba quarter of an hour\b", re.IGNORECASE)
_FILLER = re.compile(r"\b(the|a|an|their|his|her|its|our|your|my|them|they|it|this|that|these|those|shall|must|should|"
                     r"will|may|can|could|is|are|be|been|being|has|have|had|to|of|on|in|at|by|for|from|with|via|using|"
                     r"through|and|or|any|every|each|all|able|allowed|only|also|who|which|once|after|before|when|"
                     r"within|under|up|no|more|than|between|into|out|so|as|there|where|whose)\b", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w])/[\w\-/{}.]*")
_LITERAL = re.compile(r"'[^']{1,60}'|\"[^\"]{1,60}\"|“[^”]{1,60}”")  # quoted values: what differs between products


def canonical(text: str) -> str:
    out = _PATH.sub(" page ", _LITERAL.sub(" ", text))
    out = _VALUE.sub(" ", out)
    for pattern, word in _COMPILED:
        out = pattern.sub(f" {word} ", out)
    out = _FILLER.sub(" ", out)
    out = re.sub(r"[^\w\s]", " ", out.lower())
    words = out.split()
    return " ".join(dict.fromkeys(words))  # each word once, in order


ACTIONS = {"login", "logout", "register", "reset", "delete", "add", "lock", "upload", "change", "search", "expire",
           "respond", "order", "confirmation"}


def agreement(a: str, b: str) -> float:
    """1.0, or 0.75 when both canonical texts name what is done and name different things
    ("add to cart" against "delete from cart"): the embedding alone scores such pairs as close."""
    left, right = set(a.split()) & ACTIONS, set(b.split()) & ACTIONS
    return 0.75 if left and right and not left & right else 1.0
