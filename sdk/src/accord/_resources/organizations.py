"""``client.organizations``: organizations and their members."""

from __future__ import annotations

import builtins

from accord._http import HTTP
from accord._models import ImportSource, Member, MemberAdded, Organization


class Organizations:
    """Organizations you belong to, and their members."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def list(self) -> builtins.list[Organization]:
        """Organizations you belong to, with your role in each."""
        return self._http.get_models(Organization, "/organizations")

    def get(self, organization_id: int) -> Organization:
        """One of your organizations."""
        return self._http.get_model(Organization, f"/organizations/{organization_id}")

    def create(self, name: str) -> Organization:
        """A new organization with you as its owner (for admins of the server, unless the
        server lets anyone: ``ACCORD_OPEN_ORGANIZATIONS``)."""
        return self._http.send_model(Organization, "POST", "/organizations", {"name": name})

    def members(self, organization_id: int) -> builtins.list[Member]:
        """Members of an organization with their roles."""
        return self._http.get_models(Member, f"/organizations/{organization_id}/members")

    def add_member(
        self,
        organization_id: int,
        email: str,
        role: str,
        *,
        password: str,
        name: str = "",
    ) -> MemberAdded:
        """Add a member by email. An email without an account here gets one, with ``password``
        and ``name``; an existing account keeps its own password and name. The password is
        required (and checked against the rules) either way, and the answer is the same, so
        it does not tell whether the email had an account; ``members()`` lists the member."""
        body = {"email": email, "role": role, "name": name, "password": password}
        return self._http.send_model(
            MemberAdded, "POST", f"/organizations/{organization_id}/members", body
        )

    def set_role(self, organization_id: int, user_id: int, role: str) -> Member:
        """Change a member's role."""
        return self._http.send_model(
            Member, "PATCH", f"/organizations/{organization_id}/members/{user_id}", {"role": role}
        )

    def remove_member(self, organization_id: int, user_id: int) -> None:
        """Remove a member from the organization."""
        self._http.request("DELETE", f"/organizations/{organization_id}/members/{user_id}")

    def import_sources(self, organization_id: int) -> builtins.list[ImportSource]:
        """The server folders and S3 prefixes granted to the organization (for members who may
        import)."""
        return self._http.get_models(
            ImportSource, f"/organizations/{organization_id}/import-sources"
        )
