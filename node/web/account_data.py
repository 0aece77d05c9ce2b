"""/settings/export: a person's data as Mastodon's CSV files (downloads, as Mastodon offers them on the web
only), and /settings/import: uploading those files, with each import's progress. The work is in
services.account_exports and services.account_imports."""

from __future__ import annotations

from aiohttp import web
from aiohttp.web_request import FileField

from ..api.bodies import accepts_upload
from ..api.keys import NODE
from ..errors import DomainError, ValidationFailed
from ..services import account_exports, account_imports
from .session import check_csrf, page, redirect, require_viewer

routes = web.RouteTableDef()

KIND_LABELS = {
    "following": "Following list",
    "blocking": "Blocking list",
    "muting": "Muting list",
    "domain_blocking": "Domain blocking list",
    "bookmarks": "Bookmarks",
    "lists": "Lists",
}


@routes.get("/settings/export")
async def export_page(request: web.Request) -> web.Response:
    """What can be downloaded, with how many rows each file has."""
    me = await require_viewer(request)
    counts = await account_exports.counts(me)
    files = [(name, label, counts[name]) for name, (_, label) in account_exports.FILES.items()]
    return await page(request, "settings_export.html", files=files)


@routes.get(r"/settings/exports/{name:[a-z_]+\.csv}")
async def export_file(request: web.Request) -> web.Response:
    """One CSV file, as a download."""
    me = await require_viewer(request)
    name = request.match_info["name"]
    if name not in account_exports.FILES:
        raise web.HTTPNotFound(reason="No such export")
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
        kinds=KIND_LABELS,
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
            raise ValidationFailed("Validation failed: Choose a CSV file to import")
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
