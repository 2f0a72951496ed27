"""Bootstrap activities: they publish events whose ids derive from the project, so a retried
activity publishes the very same events and nothing is created twice."""

from temporalio import activity

from cognitest.infra.bus.publisher import EventPublisher
from cognitest.schemas import new_event
from cognitest.schemas.events.projects import ProjectChanges, ProjectUpdated
from cognitest.schemas.events.testing import SuiteCreated
from cognitest.schemas.workflows import BootstrapInput, BootstrapResult, bootstrap_id

DEFAULT_NOTIFICATIONS = {
    "notifications": {
        "on_run_failed": {"enabled": True, "channels": []},
        "on_issue_detected": {"enabled": True, "min_severity": "high", "channels": []},
        "quiet_hours": None,
    }
}


class BootstrapActivities:
    def __init__(self, publisher: EventPublisher, source: str) -> None:
        self.publisher = publisher
        self.source = source

    def _envelope(self, data: BootstrapInput, payload, *parts: str):  # type: ignore[no-untyped-def]
        return new_event(payload, project_id=data.project_id, actor=data.actor, source=self.source,
                         correlationid=data.correlationid, causationid=data.causationid,
                         event_id=str(bootstrap_id(data.project_id, "event", *parts)))

    @activity.defn(name="create_default_suites")
    async def create_default_suites(self, data: BootstrapInput) -> BootstrapResult:
        suites = {name: bootstrap_id(data.project_id, "suite", name) for name in data.default_suites}
        events = [
            self._envelope(data, SuiteCreated(suite_id=suite_id, name=name, tags=["default"],
                                              description=f"Default {name.lower()} suite",
                                              metadata={"bootstrap": True}), "suite", name)
            for name, suite_id in suites.items()
        ]
        await self.publisher.publish_many(events)
        return BootstrapResult(project_id=data.project_id, suites=suites, published=[e.id for e in events])

    @activity.defn(name="configure_notifications")
    async def configure_notifications(self, data: BootstrapInput) -> BootstrapResult:
        event = self._envelope(
            data, ProjectUpdated(project_id=data.project_id, changes=ProjectChanges(settings=DEFAULT_NOTIFICATIONS)),
            "notifications",
        )
        await self.publisher.publish(event)
        return BootstrapResult(project_id=data.project_id, published=[event.id])
