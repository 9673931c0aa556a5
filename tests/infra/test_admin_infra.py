"""The admin API and portal infrastructure (issue 13): user pool and identity provider from the settings, the
portal client's flows, an authorizer on every method but OPTIONS, throttling, CORS for the portal only, the WAF
body limit, the distribution with origin access control and strict headers; cdk-nag and cfn-lint clean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stacks.app_builder import build_app
from stacks.constructs.admin_routes import ROUTES
from stacks.settings import EnvironmentSettings, SettingsError
from tests.infra.conftest import cdk_context, raw_with, settings_with

pytestmark = pytest.mark.slow

OIDC = {
    "type": "OIDC",
    "name": "Corp",
    "issuer": "https://login.example.com/tenant",
    "client_id": "trunkline-portal",
    "client_secret_name": "trunkline/admin/oidc-client",
    "groups_attribute": "groups",
    "group_map": {"Ops-Cards": "trunkline-lob-cards", "Ops-Leads": "trunkline-publisher"},
}
SAML = {
    "type": "SAML",
    "name": "CorpAD",
    "metadata_url": "https://sso.example.com/federationmetadata.xml",
    "email_attribute": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "groups_attribute": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
}
CERT = "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ADMIN_OIDC = {"domain_prefix": "trunkline-x-admin", "identity_provider": OIDC, "four_eyes": True}
ADMIN_SAML = {
    "domain_prefix": "trunkline-prod-admin",
    "identity_provider": SAML,
    "portal_domain_name": "routing-admin.example.com",
    "certificate_arn": CERT,
}
ACTIVE = "Trunkline-x-active"


@pytest.fixture(scope="module")
def oidc_stacks() -> dict[str, Template]:
    stacks = build_app(cdk.App(context=cdk_context()), settings_with(admin=ADMIN_OIDC))
    return {s.stack_name: Template.from_stack(s) for s in stacks}


@pytest.fixture(scope="module")
def oidc(oidc_stacks: dict[str, Template]) -> Template:
    return oidc_stacks[ACTIVE]


@pytest.fixture(scope="module")
def saml() -> Template:
    stacks = build_app(cdk.App(context=cdk_context()), settings_with(admin=ADMIN_SAML))
    return Template.from_stack(stacks[0])


def _one(template: Template, kind: str) -> dict[str, Any]:
    (resource,) = template.find_resources(kind).values()
    props: dict[str, Any] = resource["Properties"]
    return props


def test_the_user_pool_has_no_self_sign_up_and_enforced_threat_protection(oidc: Template) -> None:
    pool = _one(oidc, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}
    assert pool["UserPoolTier"] == "PLUS"
    assert pool["UserPoolAddOns"] == {"AdvancedSecurityMode": "ENFORCED"}
    assert pool["MfaConfiguration"] == "ON"
    assert pool["LambdaConfig"]["PreTokenGenerationConfig"]["LambdaVersion"] == "V1_0"
    assert {"Name": "idp_groups", "AttributeDataType": "String", "Mutable": True} | {
        "StringAttributeConstraints": {"MaxLength": "2048"}
    } in pool["Schema"]


def test_role_and_line_of_business_groups_exist(oidc: Template) -> None:
    names = {g["Properties"]["GroupName"] for g in oidc.find_resources("AWS::Cognito::UserPoolGroup").values()}
    assert {"trunkline-viewer", "trunkline-editor", "trunkline-publisher", "trunkline-approver"} <= names
    assert "trunkline-lob-all" in names
    lob = {n for n in names if n.startswith("trunkline-lob-") and n != "trunkline-lob-all"}
    assert lob  # one per line of business of the baked config


def test_oidc_provider_comes_from_settings_with_the_secret_by_reference(oidc: Template) -> None:
    idp = _one(oidc, "AWS::Cognito::UserPoolIdentityProvider")
    assert idp["ProviderType"] == "OIDC"
    assert idp["ProviderName"] == "Corp"
    details = idp["ProviderDetails"]
    assert details["oidc_issuer"] == OIDC["issuer"]
    assert details["client_id"] == OIDC["client_id"]
    assert details["client_secret"] == "{{resolve:secretsmanager:trunkline/admin/oidc-client:SecretString:::}}"
    assert idp["AttributeMapping"] == {"email": "email", "idp_groups": "groups"}


def test_the_group_map_reaches_the_pre_token_trigger(oidc: Template) -> None:
    fn = oidc.find_resources(
        "AWS::Lambda::Function", {"Properties": {"Handler": "admin_groups.handler.lambda_handler"}}
    )
    (groups,) = fn.values()
    env = groups["Properties"]["Environment"]["Variables"]
    assert json.loads(env["ADMIN_GROUP_MAP"]) == OIDC["group_map"]


def test_saml_provider_comes_from_settings(saml: Template) -> None:
    idp = _one(saml, "AWS::Cognito::UserPoolIdentityProvider")
    assert idp["ProviderType"] == "SAML"
    assert idp["ProviderDetails"]["MetadataURL"] == SAML["metadata_url"]
    assert idp["AttributeMapping"] == {"email": SAML["email_attribute"], "idp_groups": SAML["groups_attribute"]}


def test_the_portal_client_allows_code_flow_only_with_the_portal_as_callback(oidc: Template) -> None:
    client = _one(oidc, "AWS::Cognito::UserPoolClient")
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["GenerateSecret"] is False
    assert client["ExplicitAuthFlows"] == ["ALLOW_REFRESH_TOKEN_AUTH"]
    (provider,) = client["SupportedIdentityProviders"]
    assert list(provider) == ["Ref"]
    assert provider["Ref"].startswith("AdminOidc")
    ((callback_join),) = client["CallbackURLs"]
    prefix, (cdn, attribute), suffix = (
        p["Fn::GetAtt"] if isinstance(p, dict) else p for p in callback_join["Fn::Join"][1]
    )
    assert (prefix, suffix, attribute) == ("https://", "/", "DomainName")
    assert cdn.startswith("PortalCdn")


def test_the_custom_portal_name_is_the_callback_and_gets_tls_1_2(saml: Template) -> None:
    client = _one(saml, "AWS::Cognito::UserPoolClient")
    assert client["CallbackURLs"] == ["https://routing-admin.example.com/"]
    cert = _one(saml, "AWS::CloudFront::Distribution")["DistributionConfig"]["ViewerCertificate"]
    assert cert == {"AcmCertificateArn": CERT, "MinimumProtocolVersion": "TLSv1.2_2021", "SslSupportMethod": "sni-only"}


def test_hosted_ui_domain(oidc: Template) -> None:
    oidc.has_resource_properties(
        "AWS::Cognito::UserPoolDomain", {"Domain": "trunkline-x-admin", "ManagedLoginVersion": 1}
    )


def test_every_method_but_options_has_the_user_pool_authorizer(oidc: Template) -> None:
    methods = [m["Properties"] for m in oidc.find_resources("AWS::ApiGateway::Method").values()]
    guarded = [m for m in methods if m["HttpMethod"] != "OPTIONS"]
    assert len(guarded) == len(ROUTES)
    (authorizer_id,) = oidc.find_resources("AWS::ApiGateway::Authorizer").keys()
    for method in guarded:
        assert method["AuthorizationType"] == "COGNITO_USER_POOLS"
        assert method["AuthorizerId"] == {"Ref": authorizer_id}
        assert "RequestValidatorId" in method
    assert all(m["AuthorizationType"] == "NONE" for m in methods if m["HttpMethod"] == "OPTIONS")
    authorizer = _one(oidc, "AWS::ApiGateway::Authorizer")
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    ((pool, attribute),) = (arn["Fn::GetAtt"] for arn in authorizer["ProviderARNs"])
    assert pool.startswith("AdminUsers")
    assert attribute == "Arn"


def test_the_stage_throttles_every_method_and_the_heavy_ones_more(oidc: Template) -> None:
    stage = _one(oidc, "AWS::ApiGateway::Stage")
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in stage["MethodSettings"]}
    assert settings[("/*", "*")]["ThrottlingRateLimit"] == 20
    assert settings[("/*", "*")]["ThrottlingBurstLimit"] == 40
    assert settings[("/~1simulate", "POST")]["ThrottlingRateLimit"] == 5
    assert settings[("/~1drafts~1{id}~1validate", "POST")]["ThrottlingRateLimit"] == 5
    assert settings[("/*", "*")]["DataTraceEnabled"] is False
    assert "$context.authorizer.claims.sub" in stage["AccessLogSetting"]["Format"]


def test_cors_allows_only_the_portal_origin(oidc: Template) -> None:
    options = [
        m["Properties"]
        for m in oidc.find_resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["HttpMethod"] == "OPTIONS"
    ]
    assert options
    for method in options:
        headers = method["Integration"]["IntegrationResponses"][0]["ResponseParameters"]
        origin = headers["method.response.header.Access-Control-Allow-Origin"]
        ((cdn, attribute),) = (part["Fn::GetAtt"] for part in origin["Fn::Join"][1] if isinstance(part, dict))
        assert origin["Fn::Join"][1][0] == "'https://"
        assert cdn.startswith("PortalCdn")
        assert attribute == "DomainName"
        assert headers["method.response.header.Access-Control-Allow-Methods"] == "'GET,POST,PATCH,OPTIONS'"
    fn = oidc.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": "admin.handler.lambda_handler"}})
    (admin,) = fn.values()
    env = admin["Properties"]["Environment"]["Variables"]
    assert "PortalCdn" in json.dumps(env["ADMIN_PORTAL_ORIGIN"])
    assert env["ADMIN_REGIONS"] == "us-east-1,us-west-2"
    assert env["ADMIN_FOUR_EYES"] == "true"
    responses = oidc.find_resources("AWS::ApiGateway::GatewayResponse")
    assert len(responses) == 2
    for response in responses.values():
        assert "PortalCdn" in json.dumps(response["Properties"]["ResponseParameters"])


def test_bodies_over_64_kb_are_blocked_before_the_function(oidc: Template) -> None:
    acl = _one(oidc, "AWS::WAFv2::WebACL")
    assert acl["AssociationConfig"]["RequestBody"]["API_GATEWAY"]["DefaultSizeInspectionLimit"] == "KB_64"
    (size_rule,) = [r for r in acl["Rules"] if "SizeConstraintStatement" in r["Statement"]]
    assert size_rule["Statement"]["SizeConstraintStatement"]["Size"] == 65536
    assert size_rule["Statement"]["SizeConstraintStatement"]["FieldToMatch"]["Body"]["OversizeHandling"] == "MATCH"
    assert size_rule["Action"] == {"Block": {}}
    association = _one(oidc, "AWS::WAFv2::WebACLAssociation")
    assert "AdminApiDeploymentStage" in json.dumps(association["ResourceArn"])


def test_the_admin_function_may_read_and_write_the_config_table(oidc: Template) -> None:
    policies = oidc.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": Match.string_like_regexp("AdminFunctionRole")}]}}
    )
    text = json.dumps(policies)
    assert "dynamodb:PutItem" in text
    assert "dynamodb:Query" in text
    assert "secretsmanager" not in text


def test_the_site_bucket_is_private_versioned_tls_only(oidc: Template) -> None:
    buckets = oidc.find_resources("AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": {"Status": "Enabled"}}})
    (bucket, *_) = buckets.values()
    assert bucket["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    policy = json.dumps(oidc.find_resources("AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policy
    assert "cloudfront.amazonaws.com" in policy  # the distribution reads through OAC, nobody else


def test_the_distribution_uses_origin_access_control_and_https(oidc: Template) -> None:
    oac = _one(oidc, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always"
    assert oac["OriginAccessControlOriginType"] == "s3"
    config = _one(oidc, "AWS::CloudFront::Distribution")["DistributionConfig"]
    (origin,) = config["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"
    assert "Logging" in config


def test_the_headers_policy_is_strict_and_the_csp_names_only_self_cognito_and_the_api(oidc: Template) -> None:
    policy = _one(oidc, "AWS::CloudFront::ResponseHeadersPolicy")["ResponseHeadersPolicyConfig"]
    security = policy["SecurityHeadersConfig"]
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "no-referrer"
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"]["Override"] is True
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Join"][1]
    text = "".join(
        part if isinstance(part, str) else "<" + json.dumps(part, separators=(",", ":")) + ">" for part in csp
    )
    assert text.startswith("default-src 'none'; script-src 'self'; style-src 'self';")
    assert "'unsafe-inline'" not in text
    assert "*" not in text.replace("*.", "")
    connect = next(d for d in text.split("; ") if d.startswith("connect-src"))
    sources = connect.split()[1:]
    assert sources[0] == "'self'"
    assert "AdminApi" in sources[1]
    assert ".execute-api.us-east-1." in sources[1]
    assert sources[2] == "https://trunkline-x-admin.auth.us-east-1.amazoncognito.com"
    assert len(sources) == 3
    assert "frame-ancestors 'none'" in text


def test_the_portal_files_and_their_config_are_deployed(oidc: Template) -> None:
    deployment = _one(oidc, "Custom::CDKBucketDeployment")
    assert len(deployment["SourceObjectKeys"]) == 2  # portal/ and the generated config.json
    config = json.dumps(deployment["SourceMarkers"][1])  # the deploy-time values config.json carries
    assert "AdminApi" in config
    assert "AdminUsersPortal" in config
    assert "PortalCdn" in config
    assert deployment["DestinationBucketName"]["Ref"].startswith("PortalSite")
    assert deployment["DistributionPaths"] == ["/*"]
    assert deployment["Prune"] is True


def test_no_admin_resources_without_the_setting(dev_stacks: dict[str, Template]) -> None:
    for template in dev_stacks.values():
        assert not template.find_resources("AWS::Cognito::UserPool")
        assert not template.find_resources("AWS::ApiGateway::RestApi")


def test_the_dr_region_gets_no_admin_api(oidc_stacks: dict[str, Template]) -> None:
    assert not oidc_stacks["Trunkline-x-dr"].find_resources("AWS::Cognito::UserPool")


@pytest.mark.parametrize(
    ("admin", "message"),
    [
        ({"domain_prefix": "Has Upper"}, "domain_prefix"),
        ({"domain_prefix": "my-aws-admin"}, "domain_prefix"),
        ({"domain_prefix": "ok", "portal_domain_name": "a.example.com"}, "go together"),
        ({"domain_prefix": "ok", "identity_provider": {**OIDC, "client_secret": "s3cr3t"}}, "unknown key"),
        (
            {"domain_prefix": "ok", "identity_provider": {**OIDC, "client_secret_name": '{"secret": 1}'}},
            "never its value",
        ),
        ({"domain_prefix": "ok", "identity_provider": {**SAML, "metadata_url": "http://x"}}, "https"),
        ({"domain_prefix": "ok", "identity_provider": {**OIDC, "group_map": {"a": "admins"}}}, "trunkline-"),
        ({"domain_prefix": "ok", "identity_provider": {"type": "LDAP", "name": "x"}}, "SAML"),
        ({"domain_prefix": "ok", "certificate_arn": CERT, "portal_domain_name": "bad_name"}, "host name"),
        ({"domain_prefix": "ok", "colour": "blue"}, "unknown key"),
    ],
)
def test_bad_admin_settings_fail_with_the_key_named(admin: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        EnvironmentSettings.from_context(raw_with(admin=admin), "x")


def test_production_requires_the_identity_provider_and_a_portal_name() -> None:
    with pytest.raises(SettingsError, match="production needs"):
        EnvironmentSettings.from_context(raw_with(production=True, admin={"domain_prefix": "ok"}), "x")
    settings = EnvironmentSettings.from_context(raw_with(production=True, admin=ADMIN_SAML), "x")
    assert settings.admin is not None
    assert settings.admin.identity_provider is not None


def _nag_and_lint(tmp_path: Path, settings: EnvironmentSettings) -> None:
    from cdk_nag import AwsSolutionsChecks

    app = cdk.App(context=cdk_context(), outdir=str(tmp_path))
    build_app(app, settings)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on any unacknowledged finding
    templates = sorted(str(p) for p in tmp_path.glob("*.template.json"))
    assert any("AWS::Cognito::UserPool" in Path(t).read_text() for t in templates)
    run = subprocess.run(
        [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error", "--", *templates],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_cdk_nag_and_cfn_lint_are_clean_with_oidc_on_the_cloudfront_name(tmp_path: Path) -> None:
    _nag_and_lint(tmp_path, settings_with(admin=ADMIN_OIDC))


def test_cdk_nag_and_cfn_lint_are_clean_in_production_with_saml_and_a_portal_name(tmp_path: Path) -> None:
    environments = cdk_context()["environments"]
    prod = {**environments["prod"], "admin": ADMIN_SAML}
    _nag_and_lint(tmp_path, EnvironmentSettings.from_context({**environments, "p": prod}, "p"))
