"""schemathesis against the served OpenAPI description: generated requests, no 500, valid answers."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from starlette.testclient import TestClient
from test_server_helpers import build, write_kb

from kb.server.app import create_app
from kb.server.options import ServerOptions
from kb.server.ratelimit import Rate
from kb.suggest.embedders import HashEmbedder

TOKEN = "schema-token"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    s = write_kb(tmp_path_factory.mktemp("kb"))
    build(s)
    options = ServerOptions(
        token=TOKEN, watch_interval=0, rates={"api": Rate(0, 0), "feedback": Rate(0, 0)}
    )
    application = create_app(s, options, embedder=HashEmbedder())
    with TestClient(application):  # run the lifespan
        yield application


# what rejects a request that breaks the description: schemathesis's own list, and 413 (a body
# over the server's limit, which a generated invalid body can be)
REJECTIONS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]


@pytest.fixture(scope="module")
def api_schema(app):
    config = SchemathesisConfig.from_dict(
        {"checks": {"negative_data_rejection": {"expected-statuses": [*REJECTIONS, "5XX"]}}}
    )
    return schemathesis.openapi.from_asgi("/api/openapi.json", app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_description(case):
    case.call_and_validate()
