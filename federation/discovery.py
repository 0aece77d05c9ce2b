"""Discovery documents: WebFinger (JRD for acct: and actor-URL resources, and reading remote JRDs),
host-meta (XML and JSON), and NodeInfo 2.0/2.1 with its /.well-known/nodeinfo links document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, unquote, urlencode, urlsplit
from xml.sax.saxutils import quoteattr

from .as2.context import AS2_MEDIA_TYPE

WEBFINGER_PATH = "/.well-known/webfinger"
HOST_META_PATH = "/.well-known/host-meta"
NODEINFO_LINKS_PATH = "/.well-known/nodeinfo"
JRD_MEDIA_TYPE = "application/jrd+json"
XRD_MEDIA_TYPE = "application/xrd+xml"

PROFILE_PAGE_REL = "http://webfinger.net/rel/profile-page"
SUBSCRIBE_REL = "http://ostatus.org/schema/1.0/subscribe"
NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/"
NodeInfoVersion = Literal["2.0", "2.1"]

_AS2_LINK_TYPES = (AS2_MEDIA_TYPE, "application/ld+json")


class WebfingerError(ValueError):
    """A WebFinger resource or response cannot be used (answer 400 / treat the account as unknown)."""


# -- WebFinger -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WebfingerResource:
    """A parsed `resource` query: an account (`username`, `host`) or an actor URL (`url`)."""

    kind: Literal["acct", "url"]
    username: str | None = None
    host: str | None = None
    url: str | None = None

    @property
    def acct(self) -> str | None:
        return f"{self.username}@{self.host}" if self.kind == "acct" else None


def split_acct(handle: str) -> tuple[str, str]:
    """`user@host`, `@user@host`, `acct:user@host` (host may carry a port) -> (user, host)."""
    text = handle.strip()
    if text[:5].lower() == "acct:":
        text = text[5:]
    text = unquote(text).lstrip("@")
    username, sep, host = text.rpartition("@")
    if not sep or not username or not host or "@" in username or "/" in host:
        raise WebfingerError(f"not an account handle: {handle!r}")
    return username, host.lower()


def parse_resource(resource: str) -> WebfingerResource:
    """Parse the `resource` parameter of a WebFinger query."""
    text = resource.strip()
    if text.lower().startswith(("http://", "https://")):
        parts = urlsplit(text)
        if not parts.hostname:
            raise WebfingerError(f"URL resource without a host: {resource!r}")
        return WebfingerResource("url", url=text, host=parts.netloc.lower())
    username, host = split_acct(text)
    return WebfingerResource("acct", username=username, host=host)


def webfinger_jrd(
    username: str,
    host: str,
    actor_url: str,
    *,
    profile_url: str | None = None,
    subscribe_template: str | None = None,
    aliases: Sequence[str] = (),
) -> dict[str, Any]:
    """The JRD we answer for one of our actors; `host` is our domain as configured (may carry a port)."""
    links: list[dict[str, str]] = []
    if profile_url:
        links.append({"rel": PROFILE_PAGE_REL, "type": "text/html", "href": profile_url})
    links.append({"rel": "self", "type": AS2_MEDIA_TYPE, "href": actor_url})
    if subscribe_template:
        links.append({"rel": SUBSCRIBE_REL, "template": subscribe_template})
    all_aliases = [a for a in (profile_url, actor_url, *aliases) if a]
    return {
        "subject": f"acct:{username}@{host}",
        "aliases": list(dict.fromkeys(all_aliases)),
        "links": links,
    }


def webfinger_url(handle: str, *, scheme: str = "https") -> str:
    """The URL to query for `user@host` (the query goes to the handle's host)."""
    username, host = split_acct(handle)
    query = urlencode({"resource": f"acct:{username}@{host}"}, quote_via=quote, safe=":@")
    return f"{scheme}://{host}{WEBFINGER_PATH}?{query}"


def actor_url_from_jrd(jrd: Mapping[str, Any]) -> str | None:
    """The actor IRI of a remote JRD: its `self` link with an ActivityStreams media type."""
    links = jrd.get("links")
    for link in links if isinstance(links, list) else []:
        if not isinstance(link, Mapping) or link.get("rel") != "self":
            continue
        media = str(link.get("type") or "").split(";")[0].strip().lower()
        if media in _AS2_LINK_TYPES and isinstance(link.get("href"), str):
            return link["href"]
    return None


def subject_of_jrd(jrd: Mapping[str, Any]) -> tuple[str, str] | None:
    """(username, host) of a JRD's `acct:` subject, or None when it has none."""
    subject = jrd.get("subject")
    if not isinstance(subject, str) or not subject.lower().startswith("acct:"):
        return None
    try:
        return split_acct(subject)
    except WebfingerError:
        return None


# -- host-meta -------------------------------------------------------------------------------------


def _lrdd_template(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{WEBFINGER_PATH}?resource={{uri}}"


def host_meta_xml(base_url: str) -> str:
    """host-meta XRD pointing at our WebFinger endpoint (older software still starts here)."""
    template = quoteattr(_lrdd_template(base_url))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="lrdd" type="{XRD_MEDIA_TYPE}" template={template}/>\n'
        "</XRD>\n"
    )


def host_meta_json(base_url: str) -> dict[str, Any]:
    """host-meta.json (RFC 6415 JRD form)."""
    return {"links": [{"rel": "lrdd", "type": JRD_MEDIA_TYPE, "template": _lrdd_template(base_url)}]}


# -- NodeInfo --------------------------------------------------------------------------------------


def nodeinfo_links(base_url: str, versions: Sequence[NodeInfoVersion] = ("2.1", "2.0")) -> dict[str, Any]:
    """The /.well-known/nodeinfo document: one link per schema version we serve."""
    base = base_url.rstrip("/")
    return {"links": [{"rel": f"{NODEINFO_SCHEMA}{v}", "href": f"{base}/nodeinfo/{v}"} for v in versions]}


def nodeinfo_document(
    version: NodeInfoVersion,
    *,
    software_name: str,
    software_version: str,
    open_registrations: bool,
    users_total: int,
    users_active_month: int,
    users_active_halfyear: int,
    local_posts: int,
    local_comments: int | None = None,
    repository: str | None = None,
    homepage: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    protocols: Sequence[str] = ("activitypub",),
) -> dict[str, Any]:
    """A NodeInfo 2.0 or 2.1 document; 2.0 has no software.repository/homepage, so they are dropped."""
    software: dict[str, Any] = {"name": software_name.lower(), "version": software_version}
    if version == "2.1":
        if repository:
            software["repository"] = repository
        if homepage:
            software["homepage"] = homepage
    usage: dict[str, Any] = {
        "users": {"total": users_total, "activeMonth": users_active_month, "activeHalfyear": users_active_halfyear},
        "localPosts": local_posts,
    }
    if local_comments is not None:
        usage["localComments"] = local_comments
    return {
        "version": version,
        "software": software,
        "protocols": list(protocols),
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": usage,
        "metadata": dict(metadata or {}),
    }


def nodeinfo_url_from_links(doc: Mapping[str, Any], prefer: Sequence[str] = ("2.1", "2.0")) -> str | None:
    """The NodeInfo document URL from a remote /.well-known/nodeinfo, newest preferred version first."""
    links = doc.get("links")
    by_version: dict[str, str] = {}
    for link in links if isinstance(links, list) else []:
        if isinstance(link, Mapping) and isinstance(link.get("rel"), str) and isinstance(link.get("href"), str):
            rel = link["rel"].rstrip("/#")
            for scheme_prefix in (NODEINFO_SCHEMA, NODEINFO_SCHEMA.replace("http://", "https://")):
                if rel.startswith(scheme_prefix):
                    by_version[rel[len(scheme_prefix):]] = link["href"]
    for version in prefer:
        if version in by_version:
            return by_version[version]
    return next(iter(by_version.values()), None)
