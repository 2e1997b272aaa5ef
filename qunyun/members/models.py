"""Members: one profile per person, with their identities on each platform and tags."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qunyun.workspaces.models import Workspace


class Tag(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="tags", verbose_name=_("workspace")
    )
    name = models.CharField(_("name"), max_length=64)
    color = models.CharField(_("colour"), max_length=16, default="#64748b")

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="uniq_tag")]

    def __str__(self) -> str:
        return self.name


class Segment(models.TextChoices):
    """Lifecycle segments; the rules are in ``qunyun.analytics.segments`` (docs/segments.md)."""

    NEW = "new", _("New")
    ACTIVE = "active", _("Active")
    CORE = "core", _("Core (KOC)")
    SILENT = "silent", _("Silent")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")
    CASUAL = "casual", _("Casual")


class Member(models.Model):
    """One person in one community, whatever the platforms they use."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="members", verbose_name=_("workspace")
    )
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    first_seen_at = models.DateTimeField(_("first seen"), null=True, blank=True, db_index=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True, db_index=True)
    activity_count = models.PositiveIntegerField(_("activities"), default=0)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    is_bot = models.BooleanField(_("bot"), default=False)
    tags = models.ManyToManyField(Tag, blank=True, related_name="members", verbose_name=_("tags"))
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Written back in bulk by analytics (segments, score, churn risk); never typed in.
    segment = models.CharField(
        _("segment"), max_length=16, choices=Segment.choices, blank=True, db_index=True
    )
    engagement_score = models.FloatField(_("engagement score"), default=0.0, db_index=True)
    #: {"telegram": 12.5, "discord": 3.0, …}
    engagement_by_platform = models.JSONField(_("engagement by platform"), default=dict, blank=True)
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True, db_index=True)
    #: [{"feature": "recency_days", "value": 41, "direction": "up"}, …] — rendered in words
    churn_reasons = models.JSONField(_("churn reasons"), default=list, blank=True)
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [models.Index(fields=["workspace", "display_name"])]

    def __str__(self) -> str:
        return self.display_name or f"#{self.pk}"


class Identity(models.Model):
    """A member's account on one platform."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="identities", verbose_name=_("workspace")
    )
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="identities", verbose_name=_("member")
    )
    platform = models.CharField(_("platform"), max_length=32)
    external_id = models.CharField(_("external id"), max_length=255)
    handle = models.CharField(_("handle"), max_length=255, blank=True)
    display_name = models.CharField(_("display name"), max_length=255, blank=True)
    is_bot = models.BooleanField(_("bot"), default=False)
    #: Named only by display name in the source (e.g. Telegram invites); resolved later.
    is_name_only = models.BooleanField(_("known by name only"), default=False)
    email = models.CharField(_("verified email"), max_length=254, blank=True, db_index=True)
    phone = models.CharField(_("verified phone"), max_length=32, blank=True, db_index=True)
    avatar_hash = models.CharField(_("avatar hash"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "platform", "external_id"], name="uniq_identity"
            )
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.display_name or self.external_id}"


class MergeSuggestion(models.Model):
    """Two members who may be one person, with the evidence; an operator decides."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="merge_suggestions",
        verbose_name=_("workspace"),
    )
    member_a = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("member")
    )
    member_b = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="+", verbose_name=_("possible duplicate")
    )
    score = models.FloatField(_("score"), db_index=True)
    #: [{"kind": "name" | "avatar" | "nickname" | "co_activity" | "email" | "phone",
    #:   "detail": "张伟 ≈ zhangwei88"}, …]
    evidence = models.JSONField(_("evidence"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "member_a", "member_b"], name="uniq_merge_suggestion"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_a} ≈ {self.member_b} ({self.score:.2f})"

    @property
    def evidence_kinds(self) -> list[str]:
        return [e.get("kind", "") for e in self.evidence]


class ChurnModelRun(models.Model):
    """One training of the churn model: its time split, its evaluation, its outcome.

    The members' scores are on :class:`Member` (``churn_risk``, ``churn_reasons``); this
    row keeps how good the model was when it scored them (docs/churn.md).
    """

    class Status(models.TextChoices):
        OK = "ok", _("Trained")
        INSUFFICIENT_DATA = "insufficient_data", _("Not enough data")
        FAILED = "failed", _("Failed")

    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="churn_model_runs",
        verbose_name=_("workspace"),
    )
    trained_at = models.DateTimeField(_("trained at"), auto_now_add=True, db_index=True)
    horizon_days = models.PositiveIntegerField(_("horizon (days)"), default=30)
    as_of = models.DateField(_("scored as of"), null=True, blank=True)
    train_cutoff = models.DateField(_("training cutoff"), null=True, blank=True)
    test_cutoff = models.DateField(_("test cutoff"), null=True, blank=True)
    n_train = models.PositiveIntegerField(_("training members"), default=0)
    n_test = models.PositiveIntegerField(_("test members"), default=0)
    test_churn_rate = models.FloatField(_("churn rate in the test"), null=True, blank=True)
    auc = models.FloatField(_("ROC-AUC"), null=True, blank=True)
    pr_auc = models.FloatField(_("PR-AUC"), null=True, blank=True)
    precision_at_k = models.FloatField(_("precision at k"), null=True, blank=True)
    k = models.PositiveIntegerField(_("k"), default=0)
    brier = models.FloatField(_("Brier score"), null=True, blank=True)
    baseline_auc = models.FloatField(_("baseline ROC-AUC"), null=True, blank=True)
    baseline_precision_at_k = models.FloatField(_("baseline precision at k"), null=True, blank=True)
    #: [{"feature": "recency_days", "weight": 1.04}, …], largest |weight| first
    feature_importance = models.JSONField(_("feature importance"), default=list, blank=True)
    members_scored = models.PositiveIntegerField(_("members scored"), default=0)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.OK, db_index=True
    )
    #: A problem code for "insufficient_data" (rendered in words), the error otherwise.
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("churn model run")
        verbose_name_plural = _("churn model runs")
        ordering = ["-trained_at", "-id"]

    def __str__(self) -> str:
        return f"{self.workspace} {self.trained_at:%Y-%m-%d %H:%M} {self.status}"
