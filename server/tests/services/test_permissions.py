"""The role × action matrix, written out in full so any change to the policy is deliberate."""

from __future__ import annotations

import pytest

from accord_server.services.errors import Forbidden
from accord_server.services.permissions import POLICY, Action, Role, authorize, can

O, A, M, R, N = "owner", "admin", "manager", "reviewer", "annotator"

MATRIX: dict[Action, set[str]] = {
    Action.ORG_READ: {O, A, M, R, N},
    Action.ORG_UPDATE: {O, A},
    Action.MEMBER_LIST: {O, A, M, R},
    Action.MEMBER_MANAGE: {O, A},
    Action.PROJECT_CREATE: {O, A, M},
    Action.PROJECT_READ: {O, A, M, R, N},
    Action.PROJECT_UPDATE: {O, A, M},
    Action.PROJECT_DELETE: {O, A, M},
    Action.PROJECT_PROGRESS: {O, A, M, R},
    Action.TASK_IMPORT: {O, A, M},
    Action.TASK_LIST: {O, A, M, R},
    Action.TASK_UPDATE: {O, A, M},
    Action.TASK_DELETE: {O, A, M},
    Action.QUEUE_NEXT: {O, A, M, R, N},
    Action.ANNOTATION_CREATE: {O, A, M, R, N},
    Action.ANNOTATION_READ_ANY: {O, A, M, R},
    Action.ANNOTATION_EDIT_ANY: {O, A, M},
    Action.JOB_READ_ANY: {O, A, M},
}


def test_matrix_covers_every_action() -> None:
    assert set(MATRIX) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_role_action(role: str, action: Action) -> None:
    allowed = role in MATRIX[action]
    assert can(role, action) is allowed
    if allowed:
        authorize(role, action)
    else:
        with pytest.raises(Forbidden) as info:
            authorize(role, action)
        assert info.value.details == {"role": role, "action": action.value}


def test_policy_roles_are_nested() -> None:
    # Each role can do everything the role below it can.
    order = [Role.ANNOTATOR, Role.REVIEWER, Role.MANAGER, Role.ADMIN, Role.OWNER]
    for lower, higher in zip(order, order[1:], strict=False):
        assert POLICY[lower] <= POLICY[higher]
