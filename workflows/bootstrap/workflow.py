"""The bootstrap workflow. Deterministic: no I/O here, only activity calls with explicit
timeouts and retry policies. Free of side effects at import."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from cognitest.schemas.workflows import BOOTSTRAP_WORKFLOW, BootstrapInput, BootstrapResult

RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=30), maximum_attempts=50)


@workflow.defn(name=BOOTSTRAP_WORKFLOW)
class ProjectBootstrap:
    @workflow.run
    async def run(self, data: BootstrapInput) -> BootstrapResult:
        suites: BootstrapResult = await workflow.execute_activity(
            "create_default_suites", data, result_type=BootstrapResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=RETRY,
        )
        settings: BootstrapResult = await workflow.execute_activity(
            "configure_notifications", data, result_type=BootstrapResult,
            start_to_close_timeout=timedelta(seconds=30), retry_policy=RETRY,
        )
        return BootstrapResult(project_id=data.project_id, suites=suites.suites,
                               published=[*suites.published, *settings.published])
