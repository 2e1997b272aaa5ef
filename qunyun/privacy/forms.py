"""The privacy page's forms: a request to log and the retention policy, checked before
any action runs (bad input is named, field by field)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qunyun.members.models import Member
from qunyun.privacy.actions import MAX_RETENTION_DAYS
from qunyun.privacy.models import Law, RequestKind
from qunyun.workspaces.models import Workspace


class PrivacyRequestForm(forms.Form):
    member = forms.IntegerField(
        label=_("Member id"),
        min_value=1,
        help_text=_("The number at the end of the member's profile address."),
    )
    kind = forms.ChoiceField(label=_("Request"), choices=RequestKind.choices)
    law = forms.ChoiceField(label=_("Law"), choices=Law.choices)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput({"type": "date"}))
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("How it came in, a ticket number… (no personal data needed)."),
    )

    def __init__(self, workspace: Workspace, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_member(self) -> Member:
        member_id = self.cleaned_data["member"]
        member = Member.objects.filter(workspace=self.workspace, pk=member_id).first()
        if member is None:
            raise forms.ValidationError(
                _("No member %(id)d in this workspace."), params={"id": member_id}
            )
        return member

    def clean_received_on(self) -> Any:
        received = self.cleaned_data["received_on"]
        if received > timezone.localdate():
            raise forms.ValidationError(_("A request cannot be received in the future."))
        return received


class RetentionForm(forms.Form):
    retention_days = forms.IntegerField(
        label=_("Keep activities for (days)"),
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        required=False,
        help_text=_("Empty: keep everything."),
        error_messages={
            "invalid": _("Write the number of days as a whole number, such as 365."),
            "min_value": _("Keep activities at least 1 day, or leave the field empty."),
            "max_value": _(
                "At most %(limit_value)s days; leave the field empty to keep everything."
            ),
        },
    )


class ErasureConfirmForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the member and all their activities are deleted for good."),
        error_messages={"required": _("Tick the box to confirm the erasure.")},
    )
