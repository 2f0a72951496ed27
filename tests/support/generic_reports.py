"""JUnit reports shaped like real exporters whose failure *message* says nothing: gotestsum
("Failed", testify diffs and panics in the body, parent tests and `Parent/sub` subtests), PHPUnit
(no message attribute, the assertion in the body) and jest-junit (one generic matcher line for
every failure, the difference below it)."""

import random
from xml.sax.saxutils import escape


def _case(classname: str, name: str, body: str | None, message: str | None = "Failed", time: float = 0.01,
          out: str | None = None) -> str:
    attrs = f'classname="{escape(classname)}" name="{escape(name)}" time="{time:.3f}"'
    if body is None:
        return f"<testcase {attrs}></testcase>"
    msg = f' message="{escape(message)}"' if message is not None else ""
    extra = f"<system-out>{escape(out)}</system-out>" if out else ""
    return f'<testcase {attrs}><failure{msg} type="">{escape(body)}</failure>{extra}</testcase>'


def gotestsum(seed: int = 1, failing: int = 33) -> bytes:
    """33 different failures of a Go service, as gotestsum --junitfile writes them."""
    r = random.Random(seed)
    cases = []
    for i in range(failing):
        pkg = f"github.com/acme/shop/{['orders', 'cart', 'billing', 'users'][i % 4]}"
        test = f"Test{['Create', 'Update', 'Delete', 'List', 'Total', 'Refund'][i % 6]}{i}"
        kind = i % 3
        if kind == 0:  # a testify diff
            body = (f"=== RUN   {test}\n    {test.lower()}_test.go:{r.randint(20, 90)}: \n"
                    f"        \tError Trace:\t/home/runner/work/shop/{pkg.rsplit('/', 1)[1]}/{test.lower()}_test.go:{r.randint(20, 90)}\n"
                    f"        \tError:      \tNot equal: \n"
                    f"        \t            \texpected: \"status-{i}\"\n        \t            \tactual  : \"pending\"\n"
                    f"        \tTest:       \t{test}\n--- FAIL: {test} ({r.random():.2f}s)\n")
        elif kind == 1:  # a subtest with its own message
            test = f"{test}/case_{i}"
            body = (f"=== RUN   {test}\n    handler_test.go:{r.randint(20, 90)}: field {['sku', 'qty', 'price', 'email'][i % 4]}_{i} "
                    f"missing from response {{\"id\": {r.randint(1, 999)}}}\n--- FAIL: {test} ({r.random():.2f}s)\n")
        else:  # a panic in the test's own code
            body = (f"=== RUN   {test}\npanic: runtime error: invalid memory address or nil pointer dereference [recovered]\n"
                    f"[signal SIGSEGV: segmentation violation code=0x1 addr=0x{r.randint(16, 255):x} pc=0x{r.randint(10**6, 10**7):x}]\n\n"
                    f"goroutine {r.randint(5, 50)} [running]:\ntesting.tRunner.func1.2({{0x6f4a80, 0xc000018180}})\n"
                    f"\t/usr/local/go/src/testing/testing.go:1631 +0x24a\n"
                    f"{pkg}.{test}(0xc0001036c0)\n\t/home/runner/work/shop/x/{test.lower()}_test.go:{r.randint(20, 90)} +0x3a\n")
        cases.append(_case(pkg, test, body))
    cases += [_case("github.com/acme/shop/orders", f"TestOk{i}", None) for i in range(5)]
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="38" failures="33">'
            f'<testsuite name="github.com/acme/shop" tests="38" failures="33">{"".join(cases)}</testsuite>'
            "</testsuites>").encode()


def phpunit(failing: int = 12) -> bytes:
    cases = []
    for i in range(failing):
        cls = f"Tests\\Unit\\{['Cart', 'Invoice', 'Coupon'][i % 3]}Test"
        name = f"test{['Total', 'Tax', 'Discount', 'Rounding'][i % 4]}{i}"
        body = (f"{cls}::{name}\nFailed asserting that {i + 5} matches expected {i + 6}.\n\n"
                f"/app/tests/Unit/{cls.rsplit(chr(92), 1)[1]}.php:{20 + i}")
        cases.append(_case(cls, name, body, message=None))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="Unit" tests="{failing}" '
            f'failures="{failing}">{"".join(cases)}</testsuite></testsuites>').encode()


def jest(failing: int = 12) -> bytes:
    cases = []
    for i in range(failing):
        title = f"cart {['adds', 'removes', 'totals', 'discounts'][i % 4]} item {i}"
        body = (f"Error: expect(received).toBe(expected) // Object.is equality\n\nExpected: {i + 1}\nReceived: {i}\n"
                f"    at Object.&lt;anonymous&gt; (/app/src/cart.test.js:{10 + i}:17)")
        cases.append(_case("cart", title, body.replace("&lt;", "<").replace("&gt;", ">"),
                           message="Error: expect(received).toBe(expected) // Object.is equality"))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="jest tests"><testsuite name="cart" '
            f'tests="{failing}" failures="{failing}">{"".join(cases)}</testsuite></testsuites>').encode()
