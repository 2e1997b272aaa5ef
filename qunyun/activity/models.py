"""Channels and the canonical activity stream (DESIGN.md §2)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from qunyun.activity.kinds import ActivityKind
from qunyun.workspaces.models import Workspace

KIND_LABELS = {
    ActivityKind.MESSAGE: _("Message"),
    ActivityKind.REPLY: _("Reply"),
    ActivityKind.REACTION: _("Reaction"),
    ActivityKind.POST: _("Post"),
    ActivityKind.COMMENT: _("Comment"),
    ActivityKind.JOIN: _("Joined"),
    ActivityKind.LEAVE: _("Left"),
    ActivityKind.EVENT_REGISTERED: _("Registered for an event"),
    ActivityKind.EVENT_ATTENDED: _("Attended an event"),
    ActivityKind.SURVEY_ANSWERED: _("Answered a survey"),
    ActivityKind.PURCHASE: _("Purchase"),
    ActivityKind.SERVICE: _("Service event"),
}


#: How each platform is named on screen (unknown ones show their code).
PLATFORM_LABELS = {
    "telegram": "Telegram",
    "discord": "Discord",
    "slack": "Slack",
    "wechat": _("WeChat"),
    "wecom": _("WeCom"),
    "qq": "QQ",
    "whatsapp": "WhatsApp",
    "discourse": "Discourse",
    "custom": _("Other"),
}


class Channel(models.Model):
    """A group or channel on a platform (a Telegram group, a Discord channel, …)."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="channels", verbose_name=_("workspace")
    )
    platform = models.CharField(_("platform"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=255)
    name = models.CharField(_("name"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"], name="uniq_channel"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"{self.platform}:{self.external_id}"


class Activity(models.Model):
    """One thing a member did, whatever the platform. Unique per source+channel+id."""

    id = models.BigAutoField(primary_key=True)
    # No single-column indexes on workspace and member: the unique constraint and the
    # composite indexes below start with them, and every index slows the import down.
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("workspace"),
        db_index=False,
    )
    source = models.CharField(_("source"), max_length=32)
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="activities", verbose_name=_("channel")
    )
    external_id = models.CharField(_("external id"), max_length=255)
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.CASCADE,
        related_name="activities",
        verbose_name=_("member"),
        db_index=False,
    )
    #: The account that did it: a merge moves activities between members, never between
    #: identities, so an unmerge can give each identity its activities back.
    identity = models.ForeignKey(
        "members.Identity",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("identity"),
        db_index=False,  # read only by unmerge, which narrows by member first
    )
    kind = models.CharField(
        _("kind"), max_length=32, choices=[(k.value, label) for k, label in KIND_LABELS.items()]
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    text = models.TextField(_("text"), blank=True)
    reply_to = models.CharField(_("reply to"), max_length=255, blank=True)
    thread = models.CharField(_("thread"), max_length=255, blank=True)
    attrs = models.JSONField(_("attributes"), default=dict, blank=True)
    import_run = models.ForeignKey(
        "ingest.ImportRun",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("import"),
        db_index=False,  # the import counts its rows as it writes them
    )

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "channel", "external_id"], name="uniq_activity"
            )
        ]
        # The snapshot reads new rows by primary key range; the timeline by member.
        indexes = [models.Index(fields=["member", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    @property
    def kind_label(self) -> str:
        """The kind in the operator's language; ``get_kind_display`` without its cost
        (Django rebuilds the translated choices on every call: a timeline of 50 rows
        spent most of its time there)."""
        return str(KIND_LABELS.get(self.kind, self.kind))  # type: ignore[call-overload]


class SnapshotState(models.Model):
    """How far a workspace's analytics snapshot is filled (Zulip's FillState idea).

    ``activity_watermark`` is the highest ``Activity.id`` already in the Parquet files;
    ``generation`` changes when the snapshot is rebuilt from scratch.
    """

    workspace = models.OneToOneField(
        Workspace, on_delete=models.CASCADE, related_name="snapshot_state"
    )
    activity_watermark = models.BigIntegerField(default=0)
    members_version = models.BigIntegerField(default=0)
    generation = models.PositiveIntegerField(default=0)
    #: Set when rows already in the snapshot changed (merge, name resolution, deletion).
    needs_rebuild = models.BooleanField(default=False)
    time_zone = models.CharField(max_length=64, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("analytics snapshot state")
        verbose_name_plural = _("analytics snapshot states")

    def __str__(self) -> str:
        return f"{self.workspace_id}: ≤ {self.activity_watermark} (gen {self.generation})"
