"""An invitation into a workspace's team: a one-time link, stored only as a hash.

The link (``/invite/<secret>/``) is shown once, to the owner or admin who made it; the
database keeps the secret's SHA-256. It opens the team for one person, with the role it
names, until it is used, revoked or expires (``INVITATION_DAYS``).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qunyun.workspaces.models import Role, Workspace

#: How long an invitation link stays open.
INVITATION_DAYS = 7


class Invitation(models.Model):
    workspace = models.ForeignKey(
        Workspace, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("workspace")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    #: Who it is meant for, in the inviter's words (shown on the team page only).
    note = models.CharField(_("for"), max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("used by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.workspace} ({self.get_role_display()}, {self.note or self.pk})"

    def state(self, now: datetime | None = None) -> str:
        """``used``, ``revoked``, ``expired`` or ``open``."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "open" if self.expires_at > (now or timezone.now()) else "expired"
