"""Settings of the admin API and portal (issue 13; docs/deployment.md "Admin API and portal"): the user pool's
domain, the corporate identity provider, the portal's name and certificate, four-eyes and throttling."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, Strict, model_validator

from stacks.settings_base import StrictBool, StrictText, _bounded, _matching, _rule, _Settings

COGNITO_DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ACM_CERTIFICATE_ARN = re.compile(r"^arn:aws(?:-[a-z]+)*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}$")
HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
IDP_NAME = re.compile(r"^[\w .:-]{3,32}$")
SECRET_NAME = re.compile(r"^[\w/+=.@-]{1,512}$")
_IDP_FIELDS = {"SAML": ("metadata_url",), "OIDC": ("issuer", "client_id", "client_secret_name")}


def _group_map(value: Any) -> Any:
    if not isinstance(value, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith("trunkline-") for k, v in value.items()
    ):
        raise ValueError("must map IdP group names to trunkline-* group names")
    return dict(value)


class AdminIdentityProvider(_Settings):
    """The corporate identity provider the user pool federates with. No secret value here: only the name of the
    Secrets Manager secret holding the OIDC client secret (resolved by CloudFormation at deploy)."""

    type: Literal["SAML", "OIDC"]
    name: Annotated[StrictText, _matching(IDP_NAME, "3-32 letters, digits, spaces or . _ : -")]  # shown on the UI
    metadata_url: StrictText = ""  # SAML
    issuer: StrictText = ""  # OIDC
    client_id: StrictText = ""  # OIDC
    client_secret_name: StrictText = ""  # OIDC: the secret's name, never its value
    email_attribute: StrictText = "email"
    groups_attribute: StrictText = "groups"
    # IdP group name -> trunkline group (trunkline-viewer, trunkline-lob-cards, ...); unmapped names pass through.
    group_map: Annotated[dict[str, str], BeforeValidator(_group_map)] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_of_the_type(self) -> AdminIdentityProvider:
        needed = _IDP_FIELDS[self.type]
        other = [k for kind, keys in _IDP_FIELDS.items() if kind != self.type for k in keys if getattr(self, k)]
        if other:
            raise ValueError(f"unknown key(s) {other} for {self.type}")
        missing = [k for k in needed if not getattr(self, k).strip()]
        if missing:
            raise ValueError(f"{missing} required for {self.type}")
        for key in ("metadata_url", "issuer"):
            if key in needed and not getattr(self, key).startswith("https://"):
                raise ValueError(f"{key} must be an https:// URL")
        if self.type == "OIDC" and not SECRET_NAME.match(self.client_secret_name):
            raise ValueError("client_secret_name is the Secrets Manager secret's name, never its value")
        return self


class AdminSettings(_Settings):
    """The admin API, its Cognito user pool and the portal (deployed in the active region only)."""

    # Cognito hosted UI: https://<prefix>.auth.<region>.amazoncognito.com
    domain_prefix: Annotated[
        StrictText,
        _rule(
            lambda v: COGNITO_DOMAIN_PREFIX.match(v) and "aws" not in v,
            "must be lower-case letters, digits, '-' (no 'aws')",
        ),
    ]
    identity_provider: AdminIdentityProvider | None = None  # None: Cognito users only (non-production)
    # With certificate_arn: TLS 1.2+ on a custom name instead of *.cloudfront.net.
    portal_domain_name: Annotated[StrictText, _rule(lambda v: not v or HOST_NAME.match(v), "must be a host name")] = ""
    certificate_arn: Annotated[
        StrictText,
        _rule(
            lambda v: not v or ACM_CERTIFICATE_ARN.match(v), "must be an ACM certificate ARN in us-east-1 (CloudFront)"
        ),
    ] = ""
    four_eyes: StrictBool = False
    throttle_rate: Annotated[int, Strict(), _bounded(1, 1000)] = 20  # requests/s, every method (validate/simulate: 1/4)
    throttle_burst: Annotated[int, Strict(), _bounded(1, 5000)] = 40  # default: twice the rate

    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and "throttle_burst" not in data and isinstance(data.get("throttle_rate"), int):
            return {**data, "throttle_burst": 2 * data["throttle_rate"]}
        return data

    @model_validator(mode="after")
    def _name_with_certificate(self) -> AdminSettings:
        if bool(self.portal_domain_name) != bool(self.certificate_arn):
            raise ValueError("portal_domain_name and certificate_arn go together")
        return self
