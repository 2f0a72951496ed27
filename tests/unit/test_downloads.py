"""A download keeps its real name whatever the script, and the header stays sendable (Latin-1)."""

from urllib.parse import unquote

from cognitest.producers.api.downloads import attachment


def test_any_file_name_makes_a_header_that_can_be_sent() -> None:
    for name in ("report.html", "Отчёт о сборке.html", "报告 \"final\".pdf", 'a"b\\c.txt', ""):
        header = attachment(name)["content-disposition"]
        header.encode("latin-1")  # Starlette writes headers as Latin-1: this must not raise
        assert header.startswith('attachment; filename="')
        assert unquote(header.split("filename*=UTF-8''", 1)[1]) == name
    assert attachment("Отчёт.html")["content-disposition"].startswith('attachment; filename="_____.html"')
