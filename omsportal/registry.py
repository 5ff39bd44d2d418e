"""The kit's registries (job kinds, model scopes, menu entries, obligations) are filled the same way: each app
declares its entries in a module of a known name (``tasks``, ``access``, ``obligations``), and the registry imports
those modules of every installed app the first time it is read, so no list of apps is kept anywhere else."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

from django.utils.module_loading import autodiscover_modules

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Registry(Generic[K, V]):
    """Declarations by key, found in the apps' ``module`` modules; a key declared twice differently is an error."""

    def __init__(self, module: str, what: str):
        self.module = module
        self.what = what
        self.entries: dict[K, V] = {}
        self._discovered = False

    def add(self, key: K, value: V) -> V:
        existing = self.entries.get(key)
        if existing is not None and existing != value:
            raise ValueError(f"{self.what} {key!r} is declared twice")
        self.entries[key] = value
        return value

    def discover(self) -> None:
        if not self._discovered:
            self._discovered = True
            autodiscover_modules(self.module)

    def get(self, key: K) -> V:
        self.discover()
        try:
            return self.entries[key]
        except KeyError as exc:
            raise KeyError(f"no {self.what} {key!r}: an app declares it in its {self.module}.py") from exc

    def find(self, key: K) -> V | None:
        self.discover()
        return self.entries.get(key)

    def values(self) -> list[V]:
        self.discover()
        return list(self.entries.values())
