"""The closed sets in schemas/enums.py are the ones the label schema, the wire schemas and the
permission policy use."""

from __future__ import annotations

from typing import get_args

import pytest
from pydantic import TypeAdapter, ValidationError

from accord_server.schemas.accounts import MemberCreate
from accord_server.schemas.common import RoleName
from accord_server.schemas.enums import AttributeType, MediaKind, Role, ToolType
from accord_server.schemas.label_schema import AnyTool, AttributeSpec, LabelSchema
from accord_server.services.permissions import POLICY


def test_the_label_schema_tools_are_exactly_the_tool_types() -> None:
    tags = [get_args(tool.model_fields["type"].annotation) for tool in get_args(AnyTool)]
    assert [tag for (tag,) in tags] == [t.value for t in ToolType]


@pytest.mark.parametrize("media", list(MediaKind))
def test_every_media_kind_is_a_schema_media(media: MediaKind) -> None:
    tool = {"name": "q", "type": "classification", "choices": ["a"]}
    assert LabelSchema.model_validate({"media": media.value, "tools": [tool]}).media == media


def test_attribute_types_are_the_enum() -> None:
    for kind in AttributeType:
        extra = {"choices": ["x"]} if kind == AttributeType.CHOICE else {}
        spec = AttributeSpec.model_validate({"name": "a", "type": kind.value, **extra})
        assert spec.type == kind
    with pytest.raises(ValidationError):
        AttributeSpec.model_validate({"name": "a", "type": "date"})


def test_a_role_on_the_wire_is_one_of_the_roles() -> None:
    adapter = TypeAdapter(RoleName)
    for role in Role:
        assert adapter.validate_python(role.value) == role
    for bad in ("Owner", "root", "owner ", ""):
        with pytest.raises(ValidationError):
            adapter.validate_python(bad)
    assert (
        MemberCreate(
            email="a@example.com", role="reviewer", password="correct horse battery 42"
        ).role
        == Role.REVIEWER
    )


def test_the_policy_names_every_role() -> None:
    assert set(POLICY) == set(Role)
