"""The operations portal's hosting (issue 13): a private, versioned, TLS-only S3 bucket behind CloudFront with
origin access control, TLS 1.2+ on the portal's own name, strict security headers, and the plain ``portal/`` files
deployed with a ``config.json`` that tells the page where the API and the hosted UI are.

Built in steps because the API needs the portal's origin (CORS, the app client's callback URL) while the
distribution's CSP needs the API's origin: ``PortalHosting`` creates bucket + distribution first, the stack builds
the API, then ``allow_api`` completes the CSP and ``deploy_portal`` writes the files (no CloudFormation cycle: the
CSP refers to the REST API's id only, which depends on nothing).
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Stack, Token, Validations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from stacks.admin_settings import AdminSettings

PORTAL_DIR = Path(__file__).resolve().parents[2] / "portal"


def content_security_policy(api_origin: str, hosted_ui: str) -> str:
    """Only this site, the API and the hosted UI; no inline script or style, no framing, no plugins."""
    return "; ".join(
        (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            " ".join(f"connect-src 'self' {api_origin} {hosted_ui}".split()),
            f"form-action 'self' {hosted_ui}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "manifest-src 'self'",
            "upgrade-insecure-requests",
        )
    )


class PortalHosting(Construct):
    """Bucket, access-log bucket, CloudFront distribution and its response headers policy."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AdminSettings,
        hosted_ui: str,
        removal_policy: RemovalPolicy,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        self.hosted_ui = hosted_ui
        self.logs = self._access_logs(removal_policy, log_retention_days)
        self.bucket = self._site_bucket(removal_policy)
        self.headers = self._headers_policy(hosted_ui)
        custom = bool(settings.portal_domain_name)
        self.distribution = self._distribution(settings)
        self.origin = (
            f"https://{settings.portal_domain_name}"
            if custom
            else f"https://{self.distribution.distribution_domain_name}"
        )
        self._acknowledge_distribution(self.distribution, custom=custom)

    def _access_logs(self, removal_policy: RemovalPolicy, log_retention_days: int) -> s3.Bucket:
        """The bucket the site bucket's and the distribution's access logs go to."""
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logs are delivered with an ACL: the bucket must accept object-writer ACLs.
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(max(log_retention_days, 1)))],
            removal_policy=removal_policy,
        )
        Validations.of(logs).acknowledge(
            Acknowledgment(
                id="AwsSolutions-S1",
                reason="This is the access-log bucket of the portal bucket and distribution; logging its own "
                "accesses would log into itself.",
            )
        )
        return logs

    def _site_bucket(self, removal_policy: RemovalPolicy) -> s3.Bucket:
        """The portal's files: private, versioned, TLS-only, read by CloudFront through origin access control."""
        return s3.Bucket(
            self,
            "Site",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.logs,
            server_access_logs_prefix="s3/",
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))],
            removal_policy=removal_policy,
        )

    def _headers_policy(self, hosted_ui: str) -> cloudfront.ResponseHeadersPolicy:
        """Strict security headers on every response (the CSP is completed by ``allow_api``)."""
        return cloudfront.ResponseHeadersPolicy(
            self,
            "Headers",
            comment="Trunkline portal: strict security headers",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                # Completed with the API's origin by allow_api(); until then nothing but this site.
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=content_security_policy("", hosted_ui), override=True
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                # The sign-in code arrives in the query string: never send the URL anywhere as a referrer.
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
                ),
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, override=True
                ),
            ),
            custom_headers_behavior=cloudfront.ResponseCustomHeadersBehavior(
                custom_headers=[
                    cloudfront.ResponseCustomHeader(
                        header="Permissions-Policy",
                        value="camera=(), microphone=(), geolocation=(), payment=(), usb=()",
                        override=True,
                    ),
                    cloudfront.ResponseCustomHeader(
                        header="Cross-Origin-Opener-Policy", value="same-origin", override=True
                    ),
                    cloudfront.ResponseCustomHeader(header="Cache-Control", value="no-cache", override=False),
                ]
            ),
        )

    def _distribution(self, settings: AdminSettings) -> cloudfront.Distribution:
        """CloudFront in front of the site bucket; TLS 1.2+ on the portal's own name when the settings give one."""
        custom = bool(settings.portal_domain_name)
        return cloudfront.Distribution(
            self,
            "Cdn",
            comment="Trunkline operations portal",
            default_root_object="index.html",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
            ),
            domain_names=[settings.portal_domain_name] if custom else None,
            certificate=(
                acm.Certificate.from_certificate_arn(self, "Certificate", settings.certificate_arn) if custom else None
            ),
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
        )

    @staticmethod
    def _acknowledge_distribution(distribution: cloudfront.Distribution, *, custom: bool) -> None:
        """cdk-nag findings on the distribution that are decisions, with their reasons."""
        if not custom:
            Validations.of(distribution).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-CFR4",
                    reason="No portal_domain_name/certificate_arn in this (non-production) environment: the "
                    "*.cloudfront.net certificate's security policy is fixed by CloudFront. Production must set "
                    "both (settings refuse otherwise), which gives TLSv1.2_2021.",
                )
            )
        Validations.of(distribution).acknowledge(
            Acknowledgment(
                id="AwsSolutions-CFR1",
                reason="Operations staff sign in from wherever they work; the corporate identity provider decides "
                "who gets in, not the country.",
            ),
            Acknowledgment(
                id="AwsSolutions-CFR2",
                reason="Static files only, no origin logic; every data request goes to the API, which has its "
                "own WAF web ACL.",
            ),
        )

    def allow_api(self, api_origin: str) -> None:
        """Let the pages call the API (``connect-src``): the CSP's final form."""
        cfn = self.headers.node.default_child
        assert isinstance(cfn, cloudfront.CfnResponseHeadersPolicy)
        cfn.add_property_override(
            "ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy",
            content_security_policy(api_origin, self.hosted_ui),
        )


def deploy_portal(scope: Construct, hosting: PortalHosting, *, config: dict[str, str]) -> s3deploy.BucketDeployment:
    """Copy ``portal/`` and its ``config.json`` to the bucket and invalidate the distribution (no build step:
    plain files; synth needs neither Docker nor network)."""
    deployment = s3deploy.BucketDeployment(
        scope,
        "PortalFiles",
        sources=[s3deploy.Source.asset(str(PORTAL_DIR)), s3deploy.Source.json_data("config.json", config)],
        destination_bucket=hosting.bucket,
        distribution=hosting.distribution,
        distribution_paths=["/*"],
        prune=True,
        cache_control=[s3deploy.CacheControl.no_cache()],  # small files, revalidated by ETag: a deploy shows at once
        memory_limit=256,
    )
    # The custom resource's function is a stack-level singleton generated by the CDK (not under ``deployment``).
    stack = Stack.of(scope)
    singletons = [c for c in stack.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")]
    why = (
        "CDK's BucketDeployment custom resource (copies portal/ to the site bucket at deploy, then invalidates "
        "CloudFront), generated by the CDK: "
    )
    for singleton in singletons:
        Validations.of(singleton).acknowledge(
            Acknowledgment(
                id="AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSLambdaBasicExecutionRole]",
                reason=why + "its role uses the basic execution policy for its own logs.",
            ),
            *(
                Acknowledgment(
                    id=f"AwsSolutions::AwsSolutions-IAM5[{finding}]",
                    reason=why + "it reads the CDK asset bucket's objects, replaces the site bucket's objects and "
                    "invalidates the distribution (cloudfront:CreateInvalidation has no resource-level permission).",
                )
                for finding in _deployment_wildcards(stack, hosting.bucket)
            ),
            Acknowledgment(id="AwsSolutions-L1", reason=why + "the CDK pins its handler's runtime."),
        )
    return deployment


def _deployment_wildcards(stack: Stack, bucket: s3.Bucket) -> list[str]:
    """The wildcard findings of the BucketDeployment role, as cdk-nag names them."""
    site = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    account = "<AWS::AccountId>" if Token.is_unresolved(stack.account) else stack.account
    partition = "aws" if not Token.is_unresolved(stack.partition) else "<AWS::Partition>"
    actions = ("s3:GetObject*", "s3:GetBucket*", "s3:List*", "s3:DeleteObject*", "s3:Abort*")
    return [
        *(f"Action::{action}" for action in actions),
        "Resource::*",
        f"Resource::<{site}.Arn>/*",
        f"Resource::arn:{partition}:s3:::cdk-hnb659fds-assets-{account}-{stack.region}/*",
    ]
