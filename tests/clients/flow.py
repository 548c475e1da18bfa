"""A flow through the Python client generated from the served OpenAPI document
(openapi-python-client): login, me, create an organization with an avatar, add
a member, read the members with an API key, list, delete; and a login with MFA
in two steps, the codes computed by pyotp. Run by scripts/clients.sh against a served worker
(BASE, SUPERUSER, SUPERUSER_PASSWORD), with the generated package on the path."""
import os
import time
import unittest

import pyotp

from users_organizations_api_client import AuthenticatedClient, Client
from users_organizations_api_client.api.login import login_login_access_token, login_login_mfa
from users_organizations_api_client.api.organizations import (
    organizations_add_organization_member,
    organizations_create_api_key,
    organizations_create_organization,
    organizations_delete_organization,
    organizations_read_organization_members,
    organizations_read_organizations,
)
from users_organizations_api_client.api.users import (
    users_enrol_totp,
    users_read_user_me,
    users_register_user,
    users_verify_totp,
)
from users_organizations_api_client.models import (
    AddMemberRequest,
    ApiKeyCreate,
    LoginForm,
    MediaInput,
    MfaCode,
    MfaLogin,
    MfaRequired,
    OrganizationCreate,
    Token,
    UserRegister,
)

BASE = os.environ["BASE"]


class GeneratedPythonClient(unittest.TestCase):
    def client(self, token=None):
        """A client of the generated package, anonymous or with `token`, closed
        (its connections with it) when the test ends."""
        made = Client(base_url=BASE) if token is None else AuthenticatedClient(base_url=BASE, token=token)
        made.__enter__()
        self.addCleanup(made.__exit__, None, None, None)
        return made

    def test_login_me_organization_member_list_delete(self):
        login = login_login_access_token.sync(
            client=self.client(),
            body=LoginForm(username=os.environ["SUPERUSER"], password=os.environ["SUPERUSER_PASSWORD"]),
        )
        self.assertEqual(login.token_type, "bearer")
        api = self.client(login.access_token)

        me = users_read_user_me.sync(client=api)
        self.assertTrue(me.is_superuser)

        email = f"py-client-{time.time_ns()}@example.com"
        member = users_register_user.sync(
            client=self.client(), body=UserRegister(email=email, password="py-client-password")
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
        keyed = self.client(key.key)
        members = organizations_read_organization_members.sync(organization_id=org.id, client=keyed)
        self.assertEqual(members.count, 2)

        listed = organizations_read_organizations.sync(client=api, limit=1000)
        self.assertIn(org.id, [o.id for o in listed.data])

        deleted = organizations_delete_organization.sync(organization_id=org.id, client=api)
        self.assertEqual(deleted.message, "Organization deleted successfully")
        listed = organizations_read_organizations.sync(client=api, limit=1000)
        self.assertNotIn(org.id, [o.id for o in listed.data])

    def test_mfa_enrolment_and_a_login_in_two_steps(self):
        email = f"py-mfa-{time.time_ns()}@example.com"
        anonymous = self.client()
        users_register_user.sync(client=anonymous, body=UserRegister(email=email, password="py-mfa-password"))
        form = LoginForm(username=email, password="py-mfa-password")
        login = login_login_access_token.sync(client=anonymous, body=form)
        self.assertIsInstance(login, Token)
        api = self.client(login.access_token)

        enrolment = users_enrol_totp.sync(client=api)
        totp = pyotp.TOTP(enrolment.secret)
        # The URI pyotp writes for this account, with the defaults said out loud.
        # (pyotp.parse_uri cannot read it back: it unquotes the whole URI before
        # splitting the query, and the default PROJECT_NAME has an "&".)
        written = totp.provisioning_uri(name=email, issuer_name="Users & Organizations API")
        self.assertEqual(enrolment.otpauth_uri, written + "&algorithm=SHA1&digits=6&period=30")
        codes = users_verify_totp.sync(client=api, body=MfaCode(code=totp.now()))
        self.assertEqual(len(codes.recovery_codes), 10)
        self.assertTrue(users_read_user_me.sync(client=api).mfa_enabled)

        # The password alone now answers 401 with the second step's token.
        first = login_login_access_token.sync(client=anonymous, body=form)
        self.assertIsInstance(first, MfaRequired)
        self.assertEqual(first.detail, "MFA code required")
        # The step after the one verification used (a code works once).
        code = totp.at(time.time() + 30)
        second = login_login_mfa.sync(client=anonymous, body=MfaLogin(mfa_token=first.mfa_token, code=code))
        self.assertIsInstance(second, Token)
        me = users_read_user_me.sync(client=self.client(second.access_token))
        self.assertEqual(me.email, email)


if __name__ == "__main__":
    unittest.main()
