"""The team page's forms: what an owner or admin types, checked before any action runs."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from qunyun.workspaces.models import Role


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.OPERATOR)
    note = forms.CharField(
        label=_("For"),
        max_length=100,
        required=False,
        help_text=_("Who the link is for, as a reminder on this page (optional)."),
    )


class TeammateForm(forms.Form):
    """Which teammate a role change or a removal is about (and the new role), or which
    invitation is withdrawn."""

    user = forms.IntegerField(min_value=1, required=False)
    invitation = forms.IntegerField(min_value=1, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, required=False)


class InviteeSignUpForm(UserCreationForm[User]):
    """A new account for an invitee: a free username and a password that passes the
    installation's password rules (AUTH_PASSWORD_VALIDATORS)."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ("username",)
