"""Id tables of the RPC engine: ids allocated lowest-free-first, as Cap'n Proto's C++ does."""

import heapq


class IdTable:
    """A table of entries keyed by small integer ids.

    New ids reuse the smallest freed id first, else the next unused one: the rule of
    Cap'n Proto C++'s ExportTable, so flows recorded from C++ replay with the same ids.
    """

    __slots__ = ("entries", "_free", "_next")

    def __init__(self):
        self.entries: dict = {}
        self._free: list[int] = []
        self._next = 0

    def add(self, entry) -> int:
        ident = heapq.heappop(self._free) if self._free else self._next
        if ident == self._next:
            self._next += 1
        self.entries[ident] = entry
        return ident

    def get(self, ident):
        return self.entries.get(ident)

    def pop(self, ident):
        entry = self.entries.pop(ident, None)
        if entry is not None:
            heapq.heappush(self._free, ident)
        return entry

    def __len__(self):
        return len(self.entries)

    def __iter__(self):
        return iter(list(self.entries.items()))
