"""What every page knows: who is looking, in which language, and what the navigation offers them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from storeguard.core.config import get_settings
from storeguard.core.enums import Language, Role
from storeguard.core.permissions import Permission, allows
from storeguard.web.cookies import LANGUAGE_COOKIE
from storeguard.web.i18n import N_, Speaker, from_accept_language, parse_language

# Each language named in itself, as a language switch shows them.
LANGUAGE_NAMES = {
    Language.en: "English",
    Language.nb: "Norsk bokmål",
    Language.he: "עברית",
    Language.zh: "中文",
}
ROLE_LABELS = {
    Role.owner: N_("Owner"),
    Role.admin: N_("Admin"),
    Role.agent: N_("Agent"),
    Role.viewer: N_("Viewer"),
}


@dataclass(frozen=True)
class PageUser:
    """The staff user a page is shown to, as the layout needs them (set by the login check)."""

    name: str
    email: str
    role: Role
    locale: Language
    csrf_token: str

    @property
    def role_label(self) -> str:
        """Return the role's name (English, translated when shown)."""
        return ROLE_LABELS[self.role]

    def can(self, permission: Permission | str) -> bool:
        """Tell whether this user may do ``permission``'s work (the table the API uses)."""
        return allows(self.role, Permission(permission))


@dataclass(frozen=True)
class NavItem:
    """An entry of the navigation: its label (English, translated when shown), where it goes, who sees it."""

    label: str
    path: str
    permission: Permission = Permission.read
    order: int = 100
    extra_paths: tuple[str, ...] = field(default=())

    def is_current(self, path: str) -> bool:
        """Tell whether a page at ``path`` belongs to this entry (it is highlighted)."""
        prefixes = (self.path, *self.extra_paths)
        return any(path == p or (p != "/" and path.startswith(p + "/")) for p in prefixes)


_NAV: dict[str, NavItem] = {}


def add_nav(item: NavItem) -> None:
    """Put an entry in the navigation; a domain's views add theirs when imported."""
    _NAV[item.path] = item


def nav_for(user: PageUser | None) -> list[NavItem]:
    """Return the entries this user may open, in their order."""
    if user is None:
        return []
    return sorted((i for i in _NAV.values() if user.can(i.permission)), key=lambda i: (i.order, i.path))


def page_user(request: Request) -> PageUser | None:
    """Return who is logged in on this request, if the login check ran and found someone."""
    return getattr(request.state, "page_user", None)


def speaker(request: Request) -> Speaker:
    """Return the request's language: ``?lang=``, else the one chosen this session, the user's, the browser's."""
    found = getattr(request.state, "speaker", None)
    if found is None:
        user = page_user(request)
        language = (
            parse_language(request.query_params.get("lang"))
            or parse_language(request.cookies.get(LANGUAGE_COOKIE))
            or (user.locale if user is not None else None)
            or from_accept_language(request.headers.get("accept-language"))
            or Language.en
        )
        found = Speaker(language, get_settings().ui_timezone)
        if user is not None:  # before the login check the user is unknown: ask again after it
            request.state.speaker = found
    return found


def page_context(request: Request) -> dict[str, Any]:
    """Return the values every template may use."""
    user = page_user(request)
    return {
        "request": request,
        "speaker": speaker(request),
        "user": user,
        "csrf_token": user.csrf_token if user is not None else "",
        "nav": nav_for(user),
        "languages": list(Language),
        "language_names": LANGUAGE_NAMES,
    }
