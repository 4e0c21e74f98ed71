"""The committed OpenAPI schema (`docs/openapi.yaml`) is the one the code generates: `make schema` refreshes it."""

from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command

COMMITTED = Path(settings.BASE_DIR) / "docs" / "openapi.yaml"


def test_committed_schema_matches_the_code(tmp_path):
    generated = tmp_path / "openapi.yaml"

    # --validate checks it against the OpenAPI 3 spec; --fail-on-warn refuses a schema drf-spectacular had to guess.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(generated))

    assert generated.read_text() == COMMITTED.read_text(), (
        "docs/openapi.yaml is out of date with the API: run `make schema` and commit the result."
    )


def test_every_operation_documents_its_errors():
    """Every operation needs a signed-in caller (403); every one that names a resource may not find it (404)."""
    schema = yaml.safe_load(COMMITTED.read_text())
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            expected = {"403", "404"} if "{" in path else {"403"}
            if not expected <= set(operation["responses"]):
                missing.append(f"{method.upper()} {path}: {sorted(expected - set(operation['responses']))}")
    assert missing == []
