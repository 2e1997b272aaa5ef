"""The log of data subjects' requests: who asked for what, under which law, and when it
was answered. docs/privacy.md says what each request does and how its deadline is set.

A request keeps the member's id (``member_number``) but no personal data of its own, so
it survives the member's erasure as the record that the request was answered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qunyun.members.models import Member
from qunyun.workspaces.models import Workspace


class RequestKind(models.TextChoices):
    EXPORT = "export", _("Data export (access, portability)")
    ERASE = "erase", _("Erasure")


class Law(models.TextChoices):
    PIPL = "pipl", _("PIPL (China)")
    GDPR = "gdpr", _("GDPR (EU)")


class PrivacyRequest(models.Model):
    workspace = models.ForeignKey(
        Workspace,
        on_delete=models.CASCADE,
        related_name="privacy_requests",
        verbose_name=_("workspace"),
    )
    #: Empty once the member is erased (or merged into another).
    member = models.ForeignKey(
        Member,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
        verbose_name=_("member"),
    )
    member_number = models.PositiveBigIntegerField(_("member id"))
    kind = models.CharField(_("request"), max_length=16, choices=RequestKind.choices)
    law = models.CharField(_("law"), max_length=8, choices=Law.choices)
    received_on = models.DateField(_("received on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    logged_at = models.DateTimeField(_("logged at"), default=timezone.now)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    #: Why the request was closed without an answer (empty: it was answered).
    closed_reason = models.CharField(_("closed because"), max_length=200, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-received_on", "-pk"]
        indexes = [models.Index(fields=["workspace", "done_at"], name="privacy_req_open")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · member {self.member_number} · {self.received_on}"
