"""The OpenAPI schema: generated without a warning, valid OpenAPI 3, and served with its docs."""

import io

import pytest
import yaml
from django.core.management import call_command


def test_the_schema_is_generated_without_warnings_and_validates():
    out = io.StringIO()

    # --fail-on-warn raises on any warning or error; --validate checks it against the OpenAPI 3 spec.
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)

    schema = yaml.safe_load(out.getvalue())
    assert schema["openapi"].startswith("3.")
    assert all(path.startswith("/api/v1/") for path in schema["paths"])
    assert "/api/v1/connectors/{id}/secrets/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/", "/api/redoc/"])
def test_the_schema_and_its_docs_are_served(client, path):
    response = client.get(path)

    assert response.status_code == 200


def test_secrets_are_write_only_in_the_schema():
    out = io.StringIO()
    call_command("spectacular", stdout=out)
    components = yaml.safe_load(out.getvalue())["components"]["schemas"]

    assert "secrets" in components["ConnectorCreateRequest"]["properties"]
    assert "secrets" not in components["Connector"]["properties"]
