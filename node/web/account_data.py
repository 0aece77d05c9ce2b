"""/settings/export: a person's data as Mastodon's CSV files (downloads, as Mastodon offers them on the web
only) and their account archive (requested here, built in the background), and /settings/import: uploading those files, with each import's progress. The work is in
services.account_exports and services.account_imports."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.bodies import accepts_upload
from ..api.keys import NODE
from ..errors import DomainError, ValidationFailed
from ..i18n import N_, gettext
from ..notify.dispatcher import mail_enabled
from ..services import account_archives, account_exports, account_imports
from .session import check_csrf, page, redirect, require_viewer

routes = web.RouteTableDef()

KIND_LABELS = {
    "following": N_("Following list"),
    "blocking": N_("Blocking list"),
    "muting": N_("Muting list"),
    "domain_blocking": N_("Domain blocking list"),
    "bookmarks": N_("Bookmarks"),
    "lists": N_("Lists"),
}


async def _export_page(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    me = await require_viewer(request)
    counts = await account_exports.counts(me)
    files = [(name, label, counts[name]) for name, (_, label) in account_exports.FILES.items()]
    archives = await account_archives.archives_of(me)
    return await page(
        request,
        "settings_export.html",
        http_status=http_status,
        files=files,
        archives=archives,
        mail_on=mail_enabled(request.app[NODE]),
        **context,
    )


@routes.get("/settings/export")
async def export_page(request: web.Request) -> web.Response:
    """What can be downloaded, with how many rows each file has, and one's archives."""
    return await _export_page(request, requested=request.query.get("requested") == "1", error=None)


@routes.post("/settings/export/archive")
async def request_archive(request: web.Request) -> web.StreamResponse:
    """Ask for an archive (at most one per 7 days)."""
    await check_csrf(request)
    me = await require_viewer(request)
    try:
        await account_archives.request(request.app[NODE], me)
    except DomainError as exc:
        return await _export_page(request, http_status=exc.status, requested=False, error=exc.message)
    return redirect("/settings/export?requested=1")


@routes.get(r"/settings/export/archives/{archive_id:\d+}")
async def download_archive(request: web.Request) -> web.StreamResponse:
    """One's ready archive, as a download (anyone else's is a 404)."""
    me = await require_viewer(request)
    node = request.app[NODE]
    archive, path = await account_archives.ready_file(node, me, request.match_info["archive_id"])
    name = account_archives.file_name(node, me, archive)
    return web.FileResponse(
        path,
        headers={"Content-Type": "application/zip", "Content-Disposition": f'attachment; filename="{name}"'},
    )


@routes.get(r"/settings/exports/{name:[a-z_]+\.csv}")
async def export_file(request: web.Request) -> web.Response:
    """One CSV file, as a download."""
    me = await require_viewer(request)
    name = request.match_info["name"]
    if name not in account_exports.FILES:
        raise web.HTTPNotFound(reason=gettext("No such export"))
    text = await account_exports.export(request.app[NODE], me, name)
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def _import_form(request: web.Request, http_status: int = 200, **context: object) -> web.Response:
    me = await require_viewer(request)
    imports = await account_imports.imports_of(me)
    failed = {
        i.id: await account_imports.failures(i, 10) for i in imports if i.processed_items > i.imported_items
    }
    return await page(
        request,
        "settings_import.html",
        http_status=http_status,
        imports=imports,
        failed=failed,
        kinds={kind: gettext(label) for kind, label in KIND_LABELS.items()},
        **context,
    )


@routes.get("/settings/import")
async def import_page(request: web.Request) -> web.Response:
    """The upload form and the person's imports with their progress."""
    return await _import_form(request, started=request.query.get("started") == "1", error=None)


@routes.post("/settings/import")
@accepts_upload(lambda _config: 5)
async def start_import(request: web.Request) -> web.StreamResponse:
    """Check the file and queue it; a refused file shows why and stores nothing."""
    form = await check_csrf(request)
    me = await require_viewer(request)
    upload = form.get("data")
    try:
        if not isinstance(upload, FileField) or not upload.filename:
            raise ValidationFailed(gettext("Validation failed: Choose a CSV file to import"))
        await account_imports.start(
            me,
            str(form.get("type", "")),
            str(form.get("mode", "merge")),
            upload.file.read(account_imports.MAX_BYTES + 1),
            upload.filename,
        )
    except DomainError as exc:
        return await _import_form(request, http_status=exc.status, started=False, error=exc.message)
    return redirect("/settings/import?started=1")
