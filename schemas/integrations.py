"""A project's own integrations (project settings `integrations`), over the instance's defaults:
its JIRA, GitHub repository, Slack workspace, SMTP server. Secrets are write-only and encrypted
at rest."""

from pydantic import BaseModel, ConfigDict, Field

SECRET_FIELDS = ("slack_webhook_url", "slack_bot_token", "webhook_secret", "jira_token", "github_token", "smtp_password",
                 "tracker_webhook_secret")
URL = r"^https?://"


class ProjectIntegrations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slack_webhook_url: str | None = Field(default=None, max_length=4000, description="Slack incoming webhook (secret)")
    slack_bot_token: str | None = Field(default=None, max_length=4000, description=(
        "Slack bot token (secret): posts through the Web API, found again after a crash mid-post"))
    slack_channel: str | None = Field(default=None, max_length=100, description="default Slack channel id for the bot token")
    slack_api_url: str | None = Field(default=None, max_length=2000, pattern=URL)
    webhook_secret: str | None = Field(default=None, max_length=4000, description="signs outgoing webhooks (secret)")
    jira_url: str | None = Field(default=None, max_length=2000, pattern=URL)
    jira_email: str | None = Field(default=None, max_length=255)
    jira_token: str | None = Field(default=None, max_length=4000, description="JIRA API token (secret)")
    jira_project_key: str | None = Field(default=None, max_length=50)
    jira_issue_type: str | None = Field(default=None, max_length=50)
    github_api_url: str | None = Field(default=None, max_length=2000, pattern=URL)
    github_token: str | None = Field(default=None, max_length=4000, description="GitHub token (secret)")
    github_repo: str | None = Field(default=None, max_length=200, pattern=r"^[\w.-]+/[\w.-]+$")
    smtp_host: str | None = Field(default=None, max_length=255)
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_username: str | None = Field(default=None, max_length=255)
    smtp_password: str | None = Field(default=None, max_length=4000, description="SMTP password (secret)")
    smtp_starttls: bool | None = None
    smtp_from: str | None = Field(default=None, max_length=255)
    tracker_webhook_secret: str | None = Field(default=None, max_length=4000, description=(
        "verifies JIRA's and GitHub's webhooks telling tickets closed or reopened (secret)"))


class TargetSettings(BaseModel):
    """Where a project's tests, scans and integrations may send traffic (settings `targets`)."""

    model_config = ConfigDict(extra="forbid")

    allow_private: bool | None = Field(default=None, description="reach loopback and private addresses")
    allowed_hosts: list[str] | None = Field(default=None, max_length=200, description="the only hosts allowed")
