"""Postman v2.1 and OpenAPI 3 imports: what is imported, and what is reported as skipped."""

from pathlib import Path

import pytest

from cognitest.infra.collections.importers import CollectionFormatError, import_collection

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "collections"


def test_postman_folders_variables_auth_and_skips() -> None:
    imported = import_collection((FIXTURES / "shop.postman_collection.json").read_bytes())
    assert imported.imported_from == "postman" and imported.name == "Shop API"
    # the collection's variables; what its pre-request script sets is set when it runs, not guessed at import
    assert imported.environment == {"base_url": "http://127.0.0.1:8080", "token": "secret-token"}
    names = [r["name"] for r in imported.requests]
    assert names == ["Products / List products", "Orders / Create order"]
    listing, create = imported.requests
    assert listing["headers"]["Authorization"] == "Bearer {{token}}"
    # every level's scripts, outermost first: the collection's pre-request script runs before each request
    assert listing["scripts"] == {"prerequest": ['pm.environment.set("currency", "EUR");'],
                                  "test": ["pm.test('ok', () => pm.response.to.have.status(200));"]}
    assert create["scripts"] == {"prerequest": ['pm.environment.set("currency", "EUR");']}
    assert create["headers"]["X-Shop-Key"] == "k-123" and create["body"] == {"sku": "A1", "qty": 2}
    reasons = {s["name"]: s["reason"] for s in imported.skipped}
    assert reasons == {"Orders / Upload invoice": "body mode 'formdata' is not supported",
                       "Orders / Signed call": "unsupported auth type 'awsv4'"}


def test_openapi_operations_examples_and_schema_assertions() -> None:
    imported = import_collection((FIXTURES / "orders.openapi.yaml").read_bytes())
    assert imported.imported_from == "openapi" and imported.environment == {"base_url": "http://127.0.0.1:8080"}
    by_name = {r["name"]: r for r in imported.requests}
    assert set(by_name) == {"listProducts", "createOrder", "getOrder", "uploadInvoice", "putInvoiceBytes"}
    assert by_name["listProducts"]["url"] == "{{base_url}}/api/products?currency=EUR"
    assert by_name["createOrder"]["body"] == {"sku": "A1", "qty": 2}
    assert by_name["createOrder"]["assert"]["status"] == 201
    assert by_name["createOrder"]["assert"]["schema"]["required"] == ["id", "sku"]
    assert by_name["getOrder"]["url"] == "{{base_url}}/api/orders/o1"
    upload = by_name["uploadInvoice"]["multipart"]  # a form with a small generated file, never a file of the host
    assert upload["fields"] == {"order": "o1"} and upload["files"]["scan"]["filename"] == "sample-scan.txt"
    assert by_name["putInvoiceBytes"]["file_body"]["content_type"] == "application/octet-stream"
    assert imported.skipped == [{"name": "legacyXml", "reason": "request body type application/xml is not supported"}]


@pytest.mark.parametrize(("data", "words"), [(b"{]", "neither JSON nor YAML"), (b'{"swagger": "2.0"}', "Swagger 2.0"),
                                              (b'{"hello": 1}', "not a Postman"), (b"[1, 2]", "not an object")])
def test_unknown_documents_are_refused(data: bytes, words: str) -> None:
    with pytest.raises(CollectionFormatError, match=words):
        import_collection(data)
