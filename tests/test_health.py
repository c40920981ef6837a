import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import Client, PostgresServer

pytestmark = pytest.mark.anyio


async def test_healthz_answers_without_the_database(client: Client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.text == "ok"


async def test_readyz_answers_when_the_database_does(client: Client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.text == "ready"


async def test_readyz_is_503_when_the_database_is_gone(
    client: Client, postgres: PostgresServer, database_url: str
) -> None:
    assert (await client.get("/readyz")).status_code == 200
    dbname = conninfo_to_dict(database_url)["dbname"]
    postgres.execute(f'DROP DATABASE "{dbname}" WITH (FORCE)')
    response = await client.get("/readyz")
    assert response.status_code == 503
    assert "database unavailable" in response.text
    assert (await client.get("/healthz")).status_code == 200
