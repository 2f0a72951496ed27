"""A labelled set of failures for measuring triage: each root cause appears several times with
what changes between runs (ids, numbers, timestamps, temp paths, line numbers, users, ports), and
some root causes look alike on purpose (same exception type, different cause)."""

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Labelled:
    cause: str
    error: str
    step: str | None = None


def _uuid(r: random.Random) -> str:
    h = "".join(r.choice("0123456789abcdef") for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ts(r: random.Random) -> str:
    return f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z"


CAUSES = {
    "login-timeout": lambda r: (f'TimeoutError: locator.click: Timeout {r.choice([5000, 10000, 30000])}ms exceeded.\n'
                                f'Call log:\n  - waiting for locator("#login")', 'click #login'),
    "checkout-500": lambda r: (f"AssertionError: expected status 200 but got 500 for POST "
                               f"https://shop.example.com/api/orders/{r.randint(1000, 99999)}?session={_uuid(r)}", None),
    "cart-total": lambda r: (f"AssertionError: assert {r.randint(10, 99)}.{r.randint(10, 99)} == {r.randint(10, 99)}.{r.randint(10, 99)}\n"
                             f' +  where total = Cart(id={r.randint(1, 999)}).total()', None),
    "py-keyerror": lambda r: (f'Traceback (most recent call last):\n  File "/builds/{r.randint(100, 999)}/app/tests/test_profile.py", '
                              f'line {r.randint(10, 200)}, in test_profile_update\n    data = resp.json()["profile"]\n'
                              f"KeyError: 'profile'", None),
    "py-attr": lambda r: (f'Traceback (most recent call last):\n  File "/tmp/pytest-{r.randint(1, 99)}/app/billing/invoice.py", '
                          f'line {r.randint(10, 300)}, in render_invoice\n    return customer.address.street\n'
                          f"AttributeError: 'NoneType' object has no attribute 'street'", None),
    "conn-refused": lambda r: (f"httpx.ConnectError: [Errno 111] Connection refused (127.0.0.1:{r.randint(3000, 9000)})", None),
    "dns": lambda r: (f"getaddrinfo ENOTFOUND staging-{r.randint(1, 9)}.internal.example.com", None),
    "element-missing": lambda r: (f'Error: locator.fill: Error: strict mode violation: locator("input[name=email]") '
                                  f'resolved to {r.randint(2, 5)} elements', 'fill input[name=email]'),
    "search-empty": lambda r: (f"Expected search results for query 'shoes-{r.randint(1, 999)}' to contain at least 1 item, found 0",
                               'expect #results to contain'),
    "js-undefined": lambda r: (f"TypeError: Cannot read properties of undefined (reading 'price')\n"
                               f"    at renderCart (webpack:///src/cart/Cart.jsx:{r.randint(10, 99)}:{r.randint(1, 40)})\n"
                               f"    at processChild (webpack:///node_modules/react-dom/server.js:{r.randint(1000, 9999)}:14)", None),
    "js-null": lambda r: (f"TypeError: Cannot read properties of null (reading 'addEventListener')\n"
                          f"    at initMenu (webpack:///src/nav/Menu.js:{r.randint(10, 99)}:{r.randint(1, 40)})", None),
    "java-npe": lambda r: (f"java.lang.NullPointerException: Cannot invoke \"com.shop.Order.getId()\" because \"order\" is null\n"
                           f"\tat com.shop.OrderService.confirm(OrderService.java:{r.randint(10, 300)})\n"
                           f"\tat com.shop.OrderServiceTest.confirmsOrder(OrderServiceTest.java:{r.randint(10, 99)})", None),
    "java-assert-email": lambda r: (f"org.opentest4j.AssertionFailedError: expected: <user{r.randint(1, 999)}@example.com> "
                                    f"but was: <null>\n\tat com.shop.UserTest.storesEmail(UserTest.java:{r.randint(10, 99)})", None),
    "auth-401": lambda r: (f"AssertionError: GET /api/v1/accounts/{r.randint(1, 9999)} returned 401 Unauthorized "
                           f"(token expired at {_ts(r)})", None),
    "upload-size": lambda r: (f"Error: upload of /tmp/upload-{r.randint(1000, 9999)}/report-{r.randint(1, 99)}.pdf failed: "
                              f"413 Payload Too Large ({r.randint(11, 50)} MB > 10 MB)", 'upload file'),
    "db-deadlock": lambda r: (f"sqlalchemy.exc.OperationalError: (psycopg.errors.DeadlockDetected) deadlock detected\n"
                              f"DETAIL: Process {r.randint(1000, 99999)} waits for ShareLock on transaction {r.randint(10**5, 10**7)}", None),
    "mobile-no-element": lambda r: (f"NoSuchElementError: An element could not be located on the page using the given "
                                    f"search parameters (id=com.shop:id/pay_{r.choice(['button', 'button'])})", 'tap pay_button'),
    "price-format": lambda r: (f"Expected text '€{r.randint(1, 99)},{r.randint(10, 99)}' but found '${r.randint(1, 99)}.{r.randint(10, 99)}' "
                               f"in .price", 'expect .price to have text'),
    "email-not-sent": lambda r: (f"AssertionError: no email to test+{r.randint(1, 9999)}@example.com within {r.randint(10, 60)}s "
                                 f"(mailbox checked at {_ts(r)})", None),
    "rate-limit": lambda r: (f"HTTPError: 429 Too Many Requests for url: https://api.example.com/v2/search?q={r.randint(1, 99)}"
                             f"&page={r.randint(1, 9)} (retry after {r.randint(1, 60)}s)", None),
}


def labelled_failures(per_cause: int = 3, seed: int = 7) -> list[Labelled]:
    r = random.Random(seed)
    out = []
    for cause, make in CAUSES.items():
        for _ in range(per_cause):
            error, step = make(r)
            out.append(Labelled(cause, error, step))
    r.shuffle(out)
    return out
