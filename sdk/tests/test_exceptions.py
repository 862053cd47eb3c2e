"""Errors map to one exception tree by the body's code, with status, message and details."""

from __future__ import annotations

import socket

import pytest
from support import PASSWORD, SCHEMA, Factory, Member, Stack, client_for
from transports import ProxyErrors

from accord import (
    AccordError,
    APIError,
    Client,
    Conflict,
    Forbidden,
    InvalidRequest,
    NotFound,
    ServerError,
    TransportError,
    Unauthenticated,
)


def test_another_organizations_project_is_not_found(
    stack: Stack, factory: Factory, client: Client
) -> None:
    project = client.projects.create("Mine", SCHEMA)
    other = factory.owner("Other org")
    with client_for(stack, other.token) as outsider, pytest.raises(NotFound) as info:
        outsider.projects.get(project.id)
    err = info.value
    assert (err.status_code, err.code) == (404, "not_found")
    assert isinstance(err, APIError) and isinstance(err, AccordError)
    assert str(project.id) in err.message
    assert str(err).startswith("404 not_found: ")


def test_validation_error_is_invalid_request_with_details(client: Client) -> None:
    with pytest.raises(InvalidRequest) as info:
        client.projects.create("P", SCHEMA, overlap=0)
    err = info.value
    assert (err.status_code, err.code) == (422, "invalid")
    assert err.details["errors"][0]["path"] == "overlap"
    assert err.message.startswith("overlap")


def test_bad_label_schema_names_the_field(client: Client) -> None:
    bad = {"media": "image", "tools": [{"name": "objects", "type": "lasso", "labels": ["x"]}]}
    with pytest.raises(InvalidRequest) as info:
        client.projects.create("P", bad)
    assert "tools" in info.value.message


def test_bad_token_is_unauthenticated(stack: Stack) -> None:
    with client_for(stack, "acc_not_a_real_token") as c, pytest.raises(Unauthenticated) as info:
        c.me()
    assert info.value.status_code == 401


def test_annotator_cannot_create_projects(
    stack: Stack, factory: Factory, owner: Member, client: Client
) -> None:
    client.organizations.add_member(
        owner.organization_id, "ann@example.com", "annotator", password=PASSWORD
    )
    with (
        client_for(stack, factory.token_for("ann@example.com")) as annotator,
        pytest.raises(Forbidden) as info,
    ):
        annotator.projects.create("P", SCHEMA)
    assert info.value.code == "forbidden"


def test_conflict(client: Client, owner: Member) -> None:
    client.organizations.add_member(
        owner.organization_id, "ann@example.com", "annotator", password=PASSWORD
    )
    with pytest.raises(Conflict) as info:
        client.organizations.add_member(
            owner.organization_id, "ann@example.com", "reviewer", password=PASSWORD
        )
    assert info.value.status_code == 409


def test_nobody_listening_is_a_transport_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (
        Client(f"http://127.0.0.1:{port}", "acc_x", max_retries=1, retry_backoff=0.01) as c,
        pytest.raises(TransportError) as info,
    ):
        c.me()
    assert info.value.status_code is None
    assert info.value.code == "transport"
    assert info.value.__cause__ is not None


def test_non_json_5xx_is_a_server_error(stack: Stack, owner: Member) -> None:
    transport = ProxyErrors("/projects", status=500, times=1)
    with (
        Client(stack.url, owner.token, transport=transport) as c,
        pytest.raises(ServerError) as info,
    ):
        c.projects.create("P", SCHEMA)
    assert (info.value.status_code, info.value.code) == (500, "internal")
