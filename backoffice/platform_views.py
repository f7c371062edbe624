"""Pages every app shares: the Configuration page, a job's progress and a record's history."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from backoffice.changelog import change_types, record_history
from backoffice.http import safe_next_url
from backoffice.jobs import job_cancel, job_kinds
from backoffice.models import Job
from backoffice.org_settings import can_configure, settings_sections, settings_state, settings_update
from backoffice.records import record_archive, record_restore
from backoffice.selectors import organization_scope
from backoffice.settings_forms import SettingsSectionForm


def _section_forms(request, bound_key: str | None = None, bound_form=None) -> list:
    sections = []
    for section in settings_sections:
        if section.key == bound_key and bound_form is not None:
            form = bound_form
        else:
            state = settings_state(organization_id=request.user.organization_id, section=section.key)
            form = SettingsSectionForm(section=section, state=state)
        sections.append({"section": section, "form": form, "extra": section.extra_content(request.user)})
    return sections


@login_required
@require_http_methods(["GET", "POST"])
def configuration(request, key: str | None = None):
    """The organization's settings, a form per section (organization admins)."""
    if not can_configure(request.user) or not request.user.organization_id:
        raise PermissionDenied("Only the organization's admins change its settings.")
    if request.method == "POST":
        try:
            section = settings_sections.get(key or "")
        except KeyError:
            raise Http404("No such settings section.")
        state = settings_state(organization_id=request.user.organization_id, section=section.key)
        form = SettingsSectionForm(request.POST, section=section, state=state)
        if form.is_valid():
            try:
                settings_update(actor=request.user, section=section.key, values=form.service_values())
            except ValidationError as error:
                form.add_service_error(error)
            else:
                messages.success(request, f"{section.title} settings saved.")
                return redirect("configuration")
        return render(
            request,
            "backoffice/configuration.html",
            {"sections": _section_forms(request, section.key, form)},
            status=400,
        )
    return render(request, "backoffice/configuration.html", {"sections": _section_forms(request)})


def _job_for(request, pk: int) -> Job:
    return get_object_or_404(organization_scope(Job.objects.all(), actor=request.user), pk=pk)


def _job_context(job: Job) -> dict:
    try:
        title = job_kinds.get(job.kind).title
    except KeyError:
        title = job.kind
    return {"job": job, "job_title": title}


@login_required
def job_detail(request, pk: int):
    """A job with a progress bar that follows it live."""
    job = _job_for(request, pk)
    return render(request, "backoffice/job_detail.html", _job_context(job))


@login_required
def job_progress(request, pk: int):
    """The progress fragment: the page polls it until the job has finished."""
    job = _job_for(request, pk)
    return render(request, "backoffice/includes/job_progress.html", _job_context(job))


@login_required
@require_POST
def job_cancel_view(request, pk: int):
    job = _job_for(request, pk)
    job_cancel(actor=request.user, job=job)
    messages.info(request, "The job was cancelled; a running one stops after its current step.")
    return redirect("job-detail", pk=job.pk)


def _record_for(request, record_type: str, pk: int):
    model = change_types.types.get(record_type)
    if model is None:
        raise Http404("No such record type.")
    return get_object_or_404(organization_scope(model._base_manager.all(), actor=request.user), pk=pk)


@login_required
@require_POST
def record_archive_view(request, record_type: str, pk: int):
    """Archive (or, with action=restore, restore) a record the user may edit, then go back where they were."""
    record = _record_for(request, record_type, pk)
    if not hasattr(record, "archived_at"):
        raise Http404("This record cannot be archived.")
    restore = request.POST.get("action") == "restore"
    try:
        (record_restore if restore else record_archive)(actor=request.user, instance=record)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(error)]))
    else:
        messages.success(request, f"{record} was {'restored' if restore else 'archived'}.")
    return redirect(safe_next_url(request, default="/"))


@login_required
def history_fragment(request, record_type: str, pk: int):
    """A record's history from the change log, as an HTML fragment the record's page loads."""
    record = _record_for(request, record_type, pk)
    return render(
        request,
        "backoffice/includes/history.html",
        {"entries": record_history(record=record), "record": record, "record_type": record_type},
    )
