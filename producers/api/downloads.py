"""The Content-Disposition of a download, for any file name: an ASCII fallback and the real name
in RFC 6266/5987 form (a header is Latin-1: a name such as "Отчёт.html" or "报告.pdf" written into it
as it is would fail the answer)."""

from urllib.parse import quote


def attachment(name: str) -> dict[str, str]:
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name) or "download"
    return {"content-disposition": f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"}
