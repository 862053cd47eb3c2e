"""The role × action matrix, written out in full so any change to the policy is deliberate."""

from __future__ import annotations

import itertools

import pytest

from accord_server.services.errors import Forbidden
from accord_server.services.permissions import POLICY, Action, Role, authorize, can

OW, A, M, R, N = "owner", "admin", "manager", "reviewer", "annotator"

MATRIX: dict[Action, set[str]] = {
    Action.ORG_READ: {OW, A, M, R, N},
    Action.ORG_UPDATE: {OW, A},
    Action.MEMBER_LIST: {OW, A, M, R},
    Action.MEMBER_MANAGE: {OW, A},
    Action.PROJECT_CREATE: {OW, A, M},
    Action.PROJECT_READ: {OW, A, M, R, N},
    Action.PROJECT_UPDATE: {OW, A, M},
    Action.PROJECT_DELETE: {OW, A, M},
    Action.PROJECT_PROGRESS: {OW, A, M, R},
    Action.TASK_IMPORT: {OW, A, M},
    Action.TASK_LIST: {OW, A, M, R},
    Action.TASK_UPDATE: {OW, A, M},
    Action.TASK_DELETE: {OW, A, M},
    Action.QUEUE_NEXT: {OW, A, M, R, N},
    Action.ANNOTATION_CREATE: {OW, A, M, R, N},
    Action.ANNOTATION_READ_ANY: {OW, A, M, R},
    Action.ANNOTATION_EDIT_ANY: {OW, A, M},
    Action.JOB_READ_ANY: {OW, A, M},
    Action.REPORT_CREATE: {OW, A, M, R, N},
    Action.REPORT_MANAGE: {OW, A, M},
    Action.EXPORT_CREATE: {OW, A, M},
    Action.VERSION_CREATE: {OW, A, M},
    Action.VERSION_READ: {OW, A, M},
    Action.WEBHOOK_MANAGE: {OW, A},
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
    for lower, higher in itertools.pairwise(order):
        assert POLICY[lower] <= POLICY[higher]
