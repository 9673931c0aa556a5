"""The admin API and its sign-on (issue 13, docs/design/admin.md): a Cognito user pool federated with the
corporate SAML/OIDC provider, the ``admin`` function behind an API Gateway REST API with a user-pool authorizer on
every method but OPTIONS, throttling, CORS for the portal's origin only, a WAF body-size limit and access logs.
The portal's static hosting lives in ``stacks.constructs.admin_portal``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, SecretValue, Stack, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from stacks.admin_settings import AdminIdentityProvider, AdminSettings
from stacks.constructs.admin_routes import ACCESS_LOG_FIELDS, HEAVY_ROUTES, REQUIRED_QUERY, ROUTES
from stacks.constructs.lambda_defaults import FunctionSpec, TrunklineFunction, log_retention

ROLE_GROUPS = ("trunkline-viewer", "trunkline-editor", "trunkline-publisher", "trunkline-approver")
ALL_LINES_GROUP = "trunkline-lob-all"
MAX_BODY_BYTES = 64 * 1024  # the contract's limit (413 from the handler; WAF blocks larger bodies at the edge)


def cognito_domain_url(prefix: str, region: str) -> str:
    """The hosted UI's base URL for a domain prefix."""
    return f"https://{prefix}.auth.{region}.amazoncognito.com"


@dataclass(frozen=True, slots=True)
class AdminProps:
    """What the admin API needs from the stack."""

    settings: AdminSettings
    env_name: str
    config_table: dynamodb.ITableV2
    config_table_name: str
    default_queue_id: str
    portal_origin: str  # https://<portal host>: CORS, the app client's callback, the function's allowed origin
    lines_of_business: Sequence[str]
    regions: Sequence[str]  # every region of the environment (they all serve the published version)
    code: lambda_.Code
    log_retention_days: int
    removal_policy: RemovalPolicy
    production: bool


class AdminApi(Construct):
    """User pool (+ identity provider, groups, hosted UI domain, portal client), the admin function, the API."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AdminProps) -> None:
        super().__init__(scope, construct_id)
        self.props = props
        prefix = f"trunkline-{props.env_name}"
        self.groups_function = self._function(
            "Groups",
            FunctionSpec(
                handler="admin_groups.handler.lambda_handler",
                service="trunkline-admin-groups",
                description="Cognito pre-token trigger: identity-provider groups -> trunkline roles",
                function_name=f"{prefix}-admin-groups",
                memory_mb=256,
                environment={"ADMIN_GROUP_MAP": json.dumps(self._group_map(), sort_keys=True)},
                invoked_as="function",
            ),
        )
        self.user_pool = self._user_pool(prefix)
        self.identity_provider = self._identity_provider(props.settings.identity_provider)
        self.group_names = self._groups(props.lines_of_business)
        self.domain = self.user_pool.add_domain(
            "Domain",
            cognito_domain=cognito.CognitoDomainOptions(domain_prefix=props.settings.domain_prefix),
            managed_login_version=cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
        )
        self.hosted_ui_url = cognito_domain_url(props.settings.domain_prefix, Stack.of(self).region)
        self.client = self._client()
        self.function = self._function(
            "Function",
            FunctionSpec(
                handler="admin.handler.lambda_handler",
                service="trunkline-admin",
                description="Admin API: status, versions, drafts, publish/approve, rollback, simulate, audit",
                function_name=f"{prefix}-admin",
                timeout_seconds=15,  # validate/simulate over a 600-queue document; API Gateway waits up to 29 s
                memory_mb=1024,
                environment={
                    "CONFIG_TABLE_NAME": props.config_table_name,
                    "DEFAULT_QUEUE_ID": props.default_queue_id,
                    "ADMIN_PORTAL_ORIGIN": props.portal_origin,  # the one origin its CORS headers allow
                    "ADMIN_FOUR_EYES": "true" if props.settings.four_eyes else "false",
                    "ADMIN_REGIONS": ",".join(props.regions),  # the regions serving each line (status board)
                },
            ),
        )
        # Drafts, approvals, versions and the audit trail all live in the config table (docs/design/admin.md).
        props.config_table.grant_read_write_data(self.function.function)
        self.api = self._api(prefix)
        self.api_origin = (
            f"https://{self.api.rest_api_id}.execute-api.{Stack.of(self).region}.{Stack.of(self).url_suffix}"
        )
        self.web_acl = self._firewall(prefix)

    def _function(self, construct_id: str, spec: FunctionSpec) -> TrunklineFunction:
        return TrunklineFunction(
            self,
            construct_id,
            spec=spec,
            code=self.props.code,
            log_retention_days=self.props.log_retention_days,
            removal_policy=self.props.removal_policy,
        )

    def _group_map(self) -> dict[str, str]:
        idp = self.props.settings.identity_provider
        return dict(idp.group_map) if idp is not None else {}

    def _user_pool(self, prefix: str) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "Users",
            user_pool_name=f"{prefix}-admin",
            self_sign_up_enabled=False,  # people arrive through the corporate provider (or an administrator)
            sign_in_aliases=cognito.SignInAliases(email=True),
            custom_attributes={"idp_groups": cognito.StringAttribute(max_len=2048, mutable=True)},
            # Native users exist only without a provider (non-production); they get strong passwords and TOTP.
            password_policy=cognito.PasswordPolicy(
                min_length=14,
                require_digits=True,
                require_lowercase=True,
                require_uppercase=True,
                require_symbols=True,
                temp_password_validity=Duration.days(1),
            ),
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.NONE
            if self.props.production
            else cognito.AccountRecovery.EMAIL_ONLY,
            # Plus tier with threat protection enforced: compromised-credential and adaptive sign-in checks (COG8).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=self.props.production,
            removal_policy=self.props.removal_policy,
        )
        pool.add_trigger(
            cognito.UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
            self.groups_function.alias,
            cognito.LambdaVersion.V1_0,
        )
        return pool

    def _identity_provider(self, idp: AdminIdentityProvider | None) -> cognito.IUserPoolIdentityProvider | None:
        """The corporate provider; its groups land in ``custom:idp_groups`` at every sign-in."""
        if idp is None:
            return None
        mapping = cognito.AttributeMapping(
            email=cognito.ProviderAttribute.other(idp.email_attribute),
            custom={"idp_groups": cognito.ProviderAttribute.other(idp.groups_attribute)},
        )
        if idp.type == "SAML":
            return cognito.UserPoolIdentityProviderSaml(
                self,
                "Saml",
                user_pool=self.user_pool,
                name=idp.name,
                metadata=cognito.UserPoolIdentityProviderSamlMetadata.url(idp.metadata_url),
                attribute_mapping=mapping,
                idp_signout=True,
            )
        return cognito.UserPoolIdentityProviderOidc(
            self,
            "Oidc",
            user_pool=self.user_pool,
            name=idp.name,
            client_id=idp.client_id,
            # A CloudFormation dynamic reference to the secret by name ({{resolve:secretsmanager:...}}): resolved by
            # CloudFormation at deploy, never a value in the template ("unsafe_unwrap" only renders the reference).
            client_secret=SecretValue.secrets_manager(idp.client_secret_name).unsafe_unwrap(),
            issuer_url=idp.issuer,
            scopes=["openid", "email", "profile"],
            attribute_request_method=cognito.OidcAttributeRequestMethod.GET,
            attribute_mapping=mapping,
        )

    def _groups(self, lines_of_business: Sequence[str]) -> list[str]:
        """Role groups and one scope group per line of business (``trunkline-lob-<key>``, ``trunkline-lob-all``)."""
        names = [*ROLE_GROUPS, ALL_LINES_GROUP, *(f"trunkline-lob-{key}" for key in lines_of_business)]
        for name in names:
            cognito.CfnUserPoolGroup(
                self,
                f"Group-{name}",
                user_pool_id=self.user_pool.user_pool_id,
                group_name=name,
                description=f"Trunkline admin: {name.removeprefix('trunkline-')}",
            )
        return names

    def _client(self) -> cognito.UserPoolClient:
        """The portal's public client: authorization code (+ PKCE from the page) only, short-lived tokens."""
        idp = self.identity_provider
        providers = (
            [cognito.UserPoolClientIdentityProvider.custom(idp.provider_name)]
            if idp is not None
            else [cognito.UserPoolClientIdentityProvider.COGNITO]
        )
        origin = self.props.portal_origin
        client = self.user_pool.add_client(
            "Portal",
            user_pool_client_name="trunkline-portal",
            generate_secret=False,  # a browser cannot keep a secret: PKCE binds the code to this page instead
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=[f"{origin}/"],
                logout_urls=[f"{origin}/"],
            ),
            supported_identity_providers=providers,
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=Duration.minutes(15),
            access_token_validity=Duration.minutes(15),
            refresh_token_validity=Duration.hours(8),
            auth_session_validity=Duration.minutes(3),
        )
        # No username/password or SRP flow from this client: the hosted UI (federated) and refresh only.
        cfn = client.node.default_child
        assert isinstance(cfn, cognito.CfnUserPoolClient)
        cfn.explicit_auth_flows = ["ALLOW_REFRESH_TOKEN_AUTH"]
        return client

    def _api(self, prefix: str) -> apigw.RestApi:
        """The REST API: stage throttling and access logs, CORS for the portal, the methods, the refusals."""
        api = self._rest_api(prefix)
        self._methods(api)
        self._gateway_responses(api)
        Validations.of(api).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]",
                reason="API Gateway's account-level logging role (needed for execution logs, APIG6): AWS's managed "
                "policy for exactly this, maintained with the service.",
            )
        )
        return api

    def _rest_api(self, prefix: str) -> apigw.RestApi:
        """The API and its ``v1`` stage: throttled (the heavy methods more), JSON access logs, errors-only logs."""
        settings = self.props.settings
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=log_retention(self.props.log_retention_days),
            removal_policy=self.props.removal_policy,
        )
        heavy = max(1, settings.throttle_rate // 4)
        return apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{prefix}-admin",
            description="Trunkline admin API (docs/design/admin.md)",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            cloud_watch_role=True,  # execution logs (errors only) need the account's API Gateway logging role
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=[self.props.portal_origin],
                allow_methods=["GET", "POST", "PATCH", "OPTIONS"],
                allow_headers=["Authorization", "Content-Type"],
                max_age=Duration.hours(1),
            ),
            deploy_options=apigw.StageOptions(
                stage_name="v1",
                throttling_rate_limit=settings.throttle_rate,
                throttling_burst_limit=settings.throttle_burst,
                method_options={
                    f"{path}/{method}": apigw.MethodDeploymentOptions(
                        throttling_rate_limit=heavy, throttling_burst_limit=max(1, settings.throttle_burst // 4)
                    )
                    for path, method in HEAVY_ROUTES
                },
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.custom(json.dumps(ACCESS_LOG_FIELDS)),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # request bodies carry closure messages and callers' numbers in simulate
                metrics_enabled=True,
            ),
        )

    def _methods(self, api: apigw.RestApi) -> None:
        """Every route of ``ROUTES`` to the function's alias, behind the user-pool authorizer."""
        authorizer = apigw.CognitoUserPoolsAuthorizer(
            self, "Authorizer", cognito_user_pools=[self.user_pool], authorizer_name="portal-users"
        )
        validator = api.add_request_validator("Validator", validate_request_body=True, validate_request_parameters=True)
        integration = apigw.LambdaIntegration(self.function.alias, allow_test_invoke=False)
        for path, method in ROUTES:
            resource = api.root.resource_for_path(path)
            resource.add_method(
                method,
                integration,
                authorizer=authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=validator,
                request_parameters={
                    f"method.request.querystring.{name}": True for name in REQUIRED_QUERY.get((path, method), ())
                }
                or None,
            )

    def _gateway_responses(self, api: apigw.RestApi) -> None:
        """CORS headers on API Gateway's own 4xx/5xx, so the portal can read them."""
        # API Gateway's own refusals (401 from the authorizer, 429, 413...) must be readable by the portal too.
        origin_header = {"Access-Control-Allow-Origin": f"'{self.props.portal_origin}'", "Vary": "'Origin'"}
        for kind, name in (
            (apigw.ResponseType.DEFAULT_4_XX, "Default4xx"),
            (apigw.ResponseType.DEFAULT_5_XX, "Default5xx"),
        ):
            api.add_gateway_response(name, type=kind, response_headers=origin_header)

    def _firewall(self, prefix: str) -> wafv2.CfnWebACL:
        """WAF on the stage: bodies over 64 KB never reach the function (API Gateway itself allows 10 MB), and a
        per-address rate limit below the stage's throttle."""

        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
            )

        acl = wafv2.CfnWebACL(
            self,
            "Firewall",
            name=f"{prefix}-admin-api",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility(f"{prefix}-admin-api"),
            # Inspect up to 64 KB of body; anything beyond the limit counts as a match (blocked).
            association_config=wafv2.CfnWebACL.AssociationConfigProperty(
                request_body={
                    "API_GATEWAY": wafv2.CfnWebACL.RequestBodyAssociatedResourceTypeConfigProperty(
                        default_size_inspection_limit="KB_64"
                    )
                }
            ),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="BodyOver64KB",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    visibility_config=visibility("BodyOver64KB"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        size_constraint_statement=wafv2.CfnWebACL.SizeConstraintStatementProperty(
                            field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(
                                body=wafv2.CfnWebACL.BodyProperty(oversize_handling="MATCH")
                            ),
                            comparison_operator="GT",
                            size=MAX_BODY_BYTES,
                            text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
                        )
                    ),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="PerAddressRate",
                    priority=1,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    visibility_config=visibility("PerAddressRate"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=1000, aggregate_key_type="IP", evaluation_window_sec=300
                        )
                    ),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self, "FirewallAssociation", resource_arn=self.api.deployment_stage.stage_arn, web_acl_arn=acl.attr_arn
        )
        return acl
