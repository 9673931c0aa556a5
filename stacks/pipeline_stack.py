"""CI/CD: a CDK Pipelines stack — source → synth (``make test`` + ``cdk synth``) → deploy active → deploy DR.

Lambda versions reach callers through CodeDeploy traffic shifting on the ``live`` alias (10 % for 5 minutes,
rolled back automatically on the function's error alarm), so a bad build never takes the whole call path at once,
and config ships through the same pipeline as the deploy-time publish (which keeps operations' run-time changes).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines
from constructs import Construct

from stacks.constructs.bundling import INTERPRETER_ENV, PYTHON_VERSION
from stacks.regional_stack import RegionalStack
from stacks.settings import EnvironmentSettings, RegionSettings

# Installs the runtime's interpreter in the synth step (pip cannot; uv downloads a standalone CPython build).
UV_PIN = "uv==0.13.9"
# The Connect-test step needs boto3 and the trunkline package (whose CLI imports the routing package): the runtime
# lock plus boto3 at its dev-lock pin (the lock's line carries a `# via` comment: keep only the requirement).
CONNECT_TESTS_INSTALL = "pip install -q -r requirements.txt $(grep -E '^boto3==' requirements-dev.txt | cut -d' ' -f1)"


class RegionStage(cdk.Stage):
    """One region's RegionalStack as a pipeline stage."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings, region: RegionSettings
    ) -> None:
        super().__init__(scope, construct_id, env=cdk.Environment(account=settings.account, region=region.region))
        self.stack = RegionalStack(
            self,
            f"Trunkline-{settings.name}-{region.role}",
            settings=settings,
            region=region,
            description=f"Trunkline contact routing ({settings.name}, {region.role} region {region.region})",
        )


class PipelineStack(cdk.Stack):
    """The pipeline of one environment, in its active region."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: EnvironmentSettings, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(account=settings.account, region=settings.active.region),
            **kwargs,
        )
        if settings.pipeline is None:
            raise ValueError(f"environment {settings.name!r} has no pipeline settings")
        source = pipelines.CodePipelineSource.connection(
            settings.pipeline.repository,
            settings.pipeline.branch,
            connection_arn=settings.pipeline.connection_arn,
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            pipeline_name=f"trunkline-{settings.name}",
            cross_account_keys=True,  # encrypted artifacts (KMS), and deploys into the account of each stage
            enable_key_rotation=True,
            synth=pipelines.ShellStep(
                "Synth",
                input=source,
                # The Lambda runtime's Python, so synth ships bytecode compiled by that version (docs/deployment.md).
                install_commands=["npm ci", f"python3 -m pip install {UV_PIN}", f"uv python install {PYTHON_VERSION}"],
                # Tests gate every deploy; the CDK CLI synthesizes the same app.py as `make synth`, offline.
                commands=[
                    "make test",
                    f'{INTERPRETER_ENV}="$(uv python find {PYTHON_VERSION})" npx cdk synth -c env={settings.name}',
                ],
                primary_output_directory="cdk.out",
            ),
        )
        self.stages: list[RegionStage] = []
        for region in settings.regions:
            stage = RegionStage(self, f"{region.role.capitalize()}", settings=settings, region=region)
            pre: list[pipelines.Step] = []
            if region.role == "active" and settings.pipeline.manual_approval:
                pre.append(pipelines.ManualApprovalStep("ApproveProduction"))
            post = [self._connect_tests_step(settings, region, source)] if self._runs_tests(settings, region) else []
            self.pipeline.add_stage(stage, pre=pre, post=post)
            self.stages.append(stage)
        self.pipeline.build_pipeline()
        self._grant_codeconnections(settings.pipeline.connection_arn)
        self._acknowledge_generated_findings(settings)
        # CDK Pipelines writes the deploy actions' role ARNs as Fn::Join with an empty delimiter; cfn-lint 1.x
        # rates that E3703 (style: prefer Fn::Sub). It is generated code we do not control, valid CloudFormation.
        self.template_options.metadata = {"cfn-lint": {"config": {"ignore_checks": ["E3703"]}}}

    @staticmethod
    def _runs_tests(settings: EnvironmentSettings, region: RegionSettings) -> bool:
        """Test cases run wherever flows run: deployed there, or received as a Global Resiliency replica."""
        return settings.connect_test_cases and region.has_connect

    def _connect_tests_step(
        self, settings: EnvironmentSettings, region: RegionSettings, source: pipelines.CodePipelineSource
    ) -> pipelines.CodeBuildStep:
        """After the region's deploy: run its Connect test cases; a failure fails the stage, so the pipeline never
        promotes to the next region (CodePipeline runs stages in order and stops at a failed one)."""
        arn = region.connect_instance_arn
        command = (
            f"python -m trunkline flows run-tests --instance-id {region.instance_id} --region {region.region} "
            f"--prefix trunkline-{settings.name}-"
        )
        return pipelines.CodeBuildStep(
            f"ConnectTests{region.role.capitalize()}",
            input=source,
            install_commands=[CONNECT_TESTS_INSTALL],
            env={"PYTHONPATH": "lambdas:."},
            commands=[command],
            role_policy_statements=[
                iam.PolicyStatement(
                    actions=[
                        "connect:ListTestCases",
                        "connect:StartTestCaseExecution",
                        "connect:GetTestCaseExecutionSummary",
                        "connect:ListTestCaseExecutionRecords",
                        "connect:StopTestCaseExecution",
                    ],
                    # Test cases live under the instance (…:instance/<id>/test-case/<id>); the execution ARN form is
                    # not documented, so the grant covers the instance's sub-resources, nothing outside it.
                    resources=[arn, f"{arn}/*"],
                )
            ],
        )

    def _grant_codeconnections(self, connection_arn: str) -> None:
        """CDK grants the source action ``codestar-connections:UseConnection`` only; connections created since the
        service's rename (``arn:aws:codeconnections:…``) are authorized under the new prefix, so grant both."""
        source = self.pipeline.pipeline.node.find_child("Source")
        roles = [c for c in source.node.find_all() if isinstance(c, iam.Role)]
        if not roles:
            raise ValueError("the source action has no role of its own to grant codeconnections to")
        for role in roles:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=["codeconnections:UseConnection"], resources=[connection_arn])
            )

    def _acknowledge_generated_findings(self, settings: EnvironmentSettings) -> None:
        """cdk-nag findings on what CDK Pipelines generates, acknowledged one by one with the reason.

        cdk-nag 3 matches acknowledgements by exact finding id, so the ids are rebuilt from the generated
        resources' logical ids and the environment's account and region.
        """
        from stacks.nag import PIPELINE_IAM5_REASON, PIPELINE_S1_REASON

        account, region = settings.account or "", settings.active.region
        logical = self.get_logical_id
        bucket = logical(self.pipeline.pipeline.artifact_bucket.node.default_child)  # type: ignore[arg-type]
        projects = [
            logical(self.pipeline.synth_project.node.default_child),  # type: ignore[arg-type]
            logical(self.pipeline.self_mutation_project.node.default_child),  # type: ignore[arg-type]
        ]
        # The projects of the Connect test steps (docs/deployment.md): same generated report/log group grants.
        projects += [
            logical(c)
            for c in self.pipeline.node.find_all()
            if isinstance(c, codebuild.CfnProject) and "/ConnectTests" in c.node.path
        ]
        findings = [
            "Action::kms:GenerateDataKey*",
            "Action::kms:ReEncrypt*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Resource::*",
            f"Resource::<{bucket}.Arn>/*",
            f"Resource::arn:*:iam::{account}:role/*",
            f"Resource::arn:aws:codebuild:{region}:{account}:report-group/*",
            f"Resource::arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/*",
        ]
        for project in projects:
            findings.append(f"Resource::arn:aws:codebuild:{region}:{account}:report-group/<{project}>-*")
            findings.append(f"Resource::arn:aws:logs:{region}:{account}:log-group:/aws/codebuild/<{project}>:*")
        for support in self.pipeline.pipeline.cross_region_support.values():
            bucket_name = self.resolve(support.replication_bucket.bucket_name)  # the generated physical name
            findings.append(f"Resource::arn:aws:s3:::{bucket_name}/*")
            cdk.Validations.of(support.stack).acknowledge(
                cdk.Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=PIPELINE_S1_REASON)
            )
        tests_reason = (
            "The Connect test step runs the instance's test cases: ListTestCases and the execution calls on the "
            "instance's own sub-resources (test cases and their executions, whose ARN form is not documented)."
        )
        tested = [r.connect_instance_arn for r in settings.regions if self._runs_tests(settings, r)]
        cdk.Validations.of(self).acknowledge(
            *(
                cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[{f}]", reason=PIPELINE_IAM5_REASON)
                for f in findings
            ),
            *(
                cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{arn}/*]", reason=tests_reason)
                for arn in tested
            ),
            cdk.Acknowledgment(id="AwsSolutions::AwsSolutions-S1", reason=PIPELINE_S1_REASON),
        )
