"""How ``@name`` in a rule finds its values: merchant lists plus the built-in ones.

The compiler takes any ``Mapping[str, AbstractSet[str]]`` as its list resolver. Built-in lists
(``@disposable_domains``) are loaded once per process by a loader another domain may replace with
:func:`register_builtin_list` (for instance the lists domain, if it keeps its own copy).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from threading import Lock

from disposable_email_domains import blocklist

ListResolver = Mapping[str, AbstractSet[str]]


@dataclass(frozen=True, slots=True)
class BuiltinList:
    name: str
    description: str
    loader: Callable[[], Iterable[str]]


def _disposable_domains() -> Iterable[str]:
    # The disposable-email-domains package is the community-maintained blocklist (pinned in pyproject).

    return blocklist


BUILTIN_LISTS: dict[str, BuiltinList] = {}
_loaded: dict[str, frozenset[str]] = {}
_lock = Lock()


def register_builtin_list(name: str, description: str, loader: Callable[[], Iterable[str]]) -> None:
    """Add or replace a built-in named list; its values load on first use."""
    with _lock:
        BUILTIN_LISTS[name] = BuiltinList(name, description, loader)
        _loaded.pop(name, None)


def builtin_values(name: str) -> frozenset[str]:
    """Return a built-in list's values, loading them once."""
    values = _loaded.get(name)
    if values is None:
        spec = BUILTIN_LISTS[name]
        values = frozenset(str(v).strip().lower() for v in spec.loader())
        with _lock:
            _loaded[name] = values
    return values


register_builtin_list(
    "disposable_domains",
    "Email domains of disposable-mail providers (built in, kept up to date).",
    _disposable_domains,
)


class NamedLists(Mapping[str, AbstractSet[str]]):
    """A resolver over the merchant's lists and the built-in ones (merchant lists cannot shadow them)."""

    def __init__(self, lists: Mapping[str, Iterable[str]] | None = None, *, builtins: bool = True) -> None:
        self._own = {name: frozenset(values) for name, values in (lists or {}).items()}
        self._builtins = builtins

    def __getitem__(self, name: str) -> AbstractSet[str]:
        if self._builtins and name in BUILTIN_LISTS:
            return builtin_values(name)
        return self._own[name]

    def __contains__(self, name: object) -> bool:
        return (self._builtins and name in BUILTIN_LISTS) or name in self._own

    def __iter__(self) -> Iterator[str]:
        names = set(self._own)
        if self._builtins:
            names |= set(BUILTIN_LISTS)
        return iter(sorted(names))

    def __len__(self) -> int:
        return sum(1 for _ in self)
