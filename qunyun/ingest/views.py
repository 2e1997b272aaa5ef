"""The import page: upload an export, watch it run, read the summary and errors."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qunyun.errors import QunyunError
from qunyun.ingest.actions import do_queue_discourse_sync, do_queue_uploaded_import
from qunyun.ingest.forums import check_forum_access, do_add_forum, do_remove_forum
from qunyun.ingest.interrupted import can_rerun, do_rerun_import
from qunyun.ingest.models import Forum, ImportRun
from qunyun.ingest.platforms import PARSERS
from qunyun.ingest.selectors import forums_overview, import_progress
from qunyun.outbound import OutboundRefused, check_url
from qunyun.scheduling.actions import do_run_now
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability, may

FORMAT_LABELS = {
    "telegram": gettext_lazy("Telegram Desktop export (result.json)"),
    "discord": gettext_lazy("Discord (DiscordChatExporter JSON)"),
    "slack": gettext_lazy("Slack workspace export (.zip)"),
    "wechat": gettext_lazy("WeChat (WeChatMsg / 留痕 CSV)"),
    "qq": gettext_lazy("QQ message history (.txt)"),
    "whatsapp": gettext_lazy("WhatsApp chat export (.txt or .zip)"),
    "discourse": gettext_lazy("Discourse JSON (posts, topics)"),
    "csv": gettext_lazy("Generic CSV"),
    "jsonl": gettext_lazy("Generic JSON Lines"),
}


class UploadForm(forms.Form):
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[(name, FORMAT_LABELS.get(name, name)) for name in PARSERS],
    )
    file = forms.FileField(label=gettext_lazy("Export file"))

    def clean_file(self):  # type: ignore[no-untyped-def]
        upload = self.cleaned_data["file"]
        limit = settings.MAX_UPLOAD_MB * 1024 * 1024
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)d MB; the limit is %(limit)d MB.")
                % {"size": upload.size // 2**20, "limit": settings.MAX_UPLOAD_MB}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty."))
        return upload


class DiscourseForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Forum address"),
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://forum.example.com"}),
    )
    api_key = forms.CharField(
        label=gettext_lazy("API key"),
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy("Admin → API → New API key (read scope is enough)."),
    )
    api_username = forms.CharField(label=gettext_lazy("Acting user"), initial="system")

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            check_url(url)  # refused now, not later in the worker with the key attached
        except OutboundRefused as error:
            raise forms.ValidationError(str(error)) from None
        return url


class ScheduledForumForm(DiscourseForm):
    """The forum this workspace syncs every 10 minutes (the same fields, its own ids)."""

    prefix = "scheduled"


@workspace_page(post=Capability.IMPORT)
def imports(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    can_import = may(request.workspace_role, Capability.IMPORT)
    form = UploadForm()
    forum = DiscourseForm()
    scheduled = ScheduledForumForm()
    posted, action = request.method == "POST", request.POST.get("action", "")
    if posted and action in ("forum_add", "forum_remove", "forum_sync_now"):
        scheduled = ScheduledForumForm(request.POST)
        done = _change_forum(request, workspace, scheduled)
        if done is not None:
            return done
    elif posted and action == "discourse":
        forum = DiscourseForm(request.POST)
        if forum.is_valid():
            run = do_queue_discourse_sync(
                workspace,
                url=forum.cleaned_data["url"],
                api_key=forum.cleaned_data["api_key"],
                api_username=forum.cleaned_data["api_username"],
                acting_user=request.user,
            )
            return redirect("import_run", slug=workspace.slug, run_id=run.pk)
    elif posted:
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            run = do_queue_uploaded_import(
                workspace,
                form.cleaned_data["file"],
                format_name=form.cleaned_data["format"],
                acting_user=request.user,
            )
            return redirect("import_run", slug=workspace.slug, run_id=run.pk)
    runs = ImportRun.objects.filter(workspace=workspace).select_related("started_by")[:50]
    return render(
        request,
        "ingest/imports.html",
        {
            "workspace": workspace,
            "form": form,
            "forum": forum,
            "scheduled_form": scheduled,
            "forums": forums_overview(workspace),
            "runs": runs,
            "can_import": can_import,
            "nav": "imports",
        },
    )


def _change_forum(
    request: WorkspaceRequest, workspace: Workspace, form: ScheduledForumForm
) -> HttpResponse | None:
    """Add, sync now or remove the forum synced on a schedule; ``None`` shows the form's
    errors."""
    action = request.POST.get("action")
    if action in ("forum_remove", "forum_sync_now"):
        configured = Forum.objects.filter(workspace=workspace, pk=request.POST.get("forum") or 0)
        if not configured.exists():
            raise Http404("forum")
        if action == "forum_remove":
            do_remove_forum(configured.get(), acting_user=request.user)
            messages.success(request, _("The forum is no longer synced; what it imported stays."))
        else:
            _sync_now(request, configured.get())
        return redirect("imports", workspace.slug)
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        check_forum_access(data["url"], data["api_key"], data["api_username"])
        do_add_forum(
            workspace,
            base_url=data["url"],
            api_key=data["api_key"],
            api_username=data["api_username"],
            acting_user=request.user,
        )
    except QunyunError as error:
        form.add_error(None, str(error))
        return None
    messages.success(request, _("The forum is synced every 10 minutes from now on."))
    return redirect("imports", workspace.slug)


def _sync_now(request: WorkspaceRequest, forum: Forum) -> None:
    """Queue a run of the forum's schedule at once (the key stays where it is stored)."""
    if forum.schedule is None:
        messages.error(request, _("This forum has no schedule; remove it and add it again."))
        return
    try:
        do_run_now(forum.schedule, acting_user=request.user)
    except QunyunError as error:
        messages.error(request, str(error))
        return
    messages.success(
        request, _("A sync of the forum is queued; reload this page in a moment to see it.")
    )


@workspace_page
def import_run(request: WorkspaceRequest, workspace: Workspace, run_id: int) -> HttpResponse:
    run = ImportRun.objects.filter(workspace=workspace, pk=run_id).first()
    if run is None:
        raise Http404("import")
    context = {
        "workspace": workspace,
        "run": run,
        "can_rerun": can_rerun(run) and may(request.workspace_role, Capability.IMPORT),
        "progress": import_progress(run),
        "active": run.status in (ImportRun.Status.QUEUED, ImportRun.Status.RUNNING),
        "nav": "imports",
    }
    if request.headers.get("HX-Request"):
        return render(request, "ingest/_run_status.html", context)
    return render(request, "ingest/import_run.html", context)


@workspace_page(post=Capability.IMPORT)
@require_POST
def rerun_import(request: WorkspaceRequest, workspace: Workspace, run_id: int) -> HttpResponse:
    """Queue an interrupted run's file again; its page follows the new run."""
    run = ImportRun.objects.filter(workspace=workspace, pk=run_id).first()
    if run is None:
        raise Http404("import")
    if not can_rerun(run):
        messages.info(
            request, _("Only an interrupted import whose file is still here can be run again.")
        )
        return redirect("import_run", workspace.slug, run.pk)
    again = do_rerun_import(run, acting_user=request.user)
    return redirect("import_run", workspace.slug, again.pk)
