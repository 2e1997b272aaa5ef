"""The churn-risk page: how good the model is, who is most at risk and why.

GET shows the latest run; POST (owners, admins, operators) retrains through the same
action the ``qunyun churn`` command uses.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qunyun.members.churn import do_train_churn_model
from qunyun.members.churn_words import churn_problem_text
from qunyun.members.models import ChurnModelRun
from qunyun.members.selectors import latest_churn_run, members_at_risk
from qunyun.workspaces.models import Workspace
from qunyun.workspaces.pages import WorkspaceRequest, workspace_page
from qunyun.workspaces.permissions import Capability, may


@require_http_methods(["GET", "POST"])
@workspace_page(post=Capability.TRAIN_MODELS)
def churn(request: WorkspaceRequest, workspace: Workspace) -> HttpResponse:
    can_train = may(request.workspace_role, Capability.TRAIN_MODELS)
    if request.method == "POST":
        trained = do_train_churn_model(workspace, acting_user=request.user)
        if trained.status == ChurnModelRun.Status.OK:
            messages.success(
                request,
                _("The churn model was retrained and %(count)d members were scored.")
                % {"count": trained.members_scored},
            )
        else:
            messages.error(request, churn_problem_text(trained))
        return redirect("churn", slug=workspace.slug)
    run = latest_churn_run(workspace)
    ok = run is not None and run.status == ChurnModelRun.Status.OK
    return render(
        request,
        "dashboard/churn.html",
        {
            "workspace": workspace,
            "run": run,
            "ok": ok,
            "problem": churn_problem_text(run) if run and not ok else "",
            "at_risk": list(members_at_risk(workspace)) if ok else [],
            "can_train": can_train,
            "nav": "churn",
        },
    )
