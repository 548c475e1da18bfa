"""A flow through the Python client generated from the served OpenAPI document
(openapi-python-client): login, me, create an organization with an avatar, add
a member, read the members with an API key, list, delete. Run by scripts/clients.sh against a served worker
(BASE, SUPERUSER, SUPERUSER_PASSWORD), with the generated package on the path."""
import os
import time
import unittest

from users_organizations_api_client import AuthenticatedClient, Client
from users_organizations_api_client.api.login import login_login_access_token
from users_organizations_api_client.api.organizations import (
    organizations_add_organization_member,
    organizations_create_api_key,
    organizations_create_organization,
    organizations_delete_organization,
    organizations_read_organization_members,
    organizations_read_organizations,
)
from users_organizations_api_client.api.users import users_read_user_me, users_register_user
from users_organizations_api_client.models import (
    AddMemberRequest,
    ApiKeyCreate,
    LoginForm,
    MediaInput,
    OrganizationCreate,
    UserRegister,
)

BASE = os.environ["BASE"]


class GeneratedPythonClient(unittest.TestCase):
    def test_login_me_organization_member_list_delete(self):
        login = login_login_access_token.sync(
            client=Client(base_url=BASE),
            body=LoginForm(username=os.environ["SUPERUSER"], password=os.environ["SUPERUSER_PASSWORD"]),
        )
        self.assertEqual(login.token_type, "bearer")
        api = AuthenticatedClient(base_url=BASE, token=login.access_token)

        me = users_read_user_me.sync(client=api)
        self.assertTrue(me.is_superuser)

        email = f"py-client-{time.time_ns()}@example.com"
        member = users_register_user.sync(
            client=Client(base_url=BASE), body=UserRegister(email=email, password="py-client-password")
        )
        self.assertEqual(member.email, email)

        org = organizations_create_organization.sync(
            client=api,
            body=OrganizationCreate(
                name="Python client",
                avatar_image=MediaInput(url="https://cdn.example.com/py.png", width=32, height=64),
            ),
        )
        self.assertEqual(org.avatar_image_media.orientation, "portrait")

        added = organizations_add_organization_member.sync(
            organization_id=org.id, client=api, body=AddMemberRequest(user_id=member.id)
        )
        self.assertEqual(added.count, 2)
        members = organizations_read_organization_members.sync(organization_id=org.id, client=api)
        self.assertIn(member.id, [m.user_id for m in members.data])

        # An API key of the organization, as a machine client holds it.
        key = organizations_create_api_key.sync(
            organization_id=org.id,
            client=api,
            body=ApiKeyCreate.from_dict({"name": "py-client", "scopes": ["organization:read"]}),
        )
        self.assertTrue(key.key.startswith("uoa_"))
        keyed = AuthenticatedClient(base_url=BASE, token=key.key)
        members = organizations_read_organization_members.sync(organization_id=org.id, client=keyed)
        self.assertEqual(members.count, 2)

        listed = organizations_read_organizations.sync(client=api, limit=1000)
        self.assertIn(org.id, [o.id for o in listed.data])

        deleted = organizations_delete_organization.sync(organization_id=org.id, client=api)
        self.assertEqual(deleted.message, "Organization deleted successfully")
        listed = organizations_read_organizations.sync(client=api, limit=1000)
        self.assertNotIn(org.id, [o.id for o in listed.data])


if __name__ == "__main__":
    unittest.main()
