"""Tokenising a batch of passages in numpy: each distinct chunk of text is tokenised once.

A chunk is a run of text between ASCII whitespace ("korea,", "russia's", "10,000."). Tokens never
hold whitespace, so a passage's terms are its chunks' terms in turn. Python handles each distinct
chunk once; every further occurrence is found by comparing its bytes in numpy, which is what lets a
million passages be indexed in seconds rather than the better part of a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

WIDTH = 24  # bytes compared as three 64-bit words; longer chunks are looked up as strings
# odd 64-bit multipliers mixing a chunk's three words and its length into one hash
MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93], dtype=np.uint64)
_LOW_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)  # masks keeping n bytes
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True


class Growing:
    """A one-dimensional numpy array that grows at its end in amortised constant time."""

    def __init__(self, dtype: type[np.generic]) -> None:
        self._data = np.zeros(1024, dtype=dtype)
        self.size = 0

    def extend(self, values: npt.ArrayLike) -> None:
        values = np.asarray(values, dtype=self._data.dtype).reshape(-1)
        needed = self.size + len(values)
        if needed > len(self._data):
            bigger = np.zeros(max(needed, 2 * len(self._data)), dtype=self._data.dtype)
            bigger[: self.size] = self._data[: self.size]
            self._data = bigger
        self._data[self.size : needed] = values
        self.size = needed

    @property
    def array(self) -> npt.NDArray[Any]:
        return self._data[: self.size]


class HashTable:
    """Open addressing from nonzero 64-bit hashes to chunk numbers, looked up in numpy."""

    def __init__(self) -> None:
        self._bits = 16
        self._slots = np.zeros(1 << self._bits, dtype=np.uint64)  # 0: empty
        self._numbers = np.full(1 << self._bits, -1, dtype=np.int64)
        self._count = 0

    def _home(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        return (hashes >> np.uint64(64 - self._bits)).astype(np.int64)  # the well-mixed high bits

    def lookup(self, hashes: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """Return the number stored for each hash, -1 where there is none."""
        mask = len(self._slots) - 1
        slots = self._home(hashes)
        held = self._slots[slots]
        found = held == hashes
        numbers = np.where(found, self._numbers[slots], -1)
        pending = np.flatnonzero(~found & (held != 0))  # their home slot holds another hash: probe on
        while len(pending):
            slots[pending] = (slots[pending] + 1) & mask
            held = self._slots[slots[pending]]
            hit = held == hashes[pending]
            numbers[pending[hit]] = self._numbers[slots[pending[hit]]]
            pending = pending[~hit & (held != 0)]
        return numbers

    def insert(self, hashes: npt.NDArray[np.uint64], numbers: npt.NDArray[np.int64]) -> None:
        """Store distinct hashes not stored yet."""
        if 2 * (self._count + len(hashes)) > len(self._slots):
            old = self._slots != 0
            kept_hashes, kept_numbers = self._slots[old], self._numbers[old]
            while 2 * (self._count + len(hashes)) > (1 << self._bits):
                self._bits += 1
            self._slots = np.zeros(1 << self._bits, dtype=np.uint64)
            self._numbers = np.full(1 << self._bits, -1, dtype=np.int64)
            self._count = 0
            self._place(kept_hashes, kept_numbers)
        self._place(hashes, numbers)

    def _place(self, hashes: npt.NDArray[np.uint64], numbers: npt.NDArray[np.int64]) -> None:
        mask = len(self._slots) - 1
        slots_taken, stored = self._slots, self._numbers
        for slot, value, number in zip(self._home(hashes).tolist(), hashes.tolist(), numbers.tolist(), strict=True):
            while slots_taken[slot]:
                slot = (slot + 1) & mask
            slots_taken[slot] = value
            stored[slot] = number
        self._count += len(hashes)


class ChunkTable:
    """The term ids of every distinct chunk seen so far, found again by its bytes.

    `ids_of(chunk)` gives a chunk's term ids the first time it is seen. A chunk of up to WIDTH
    bytes is known by its bytes, zero-padded, as three 64-bit words; a hash of those words finds its
    number in a hash table and the words themselves are compared, so a hash collision can never
    give a chunk another chunk's terms (the batch then goes through strings instead).
    """

    def __init__(self, ids_of: Callable[[str], list[int]], mix: npt.NDArray[np.uint64] = MIX) -> None:
        self._ids_of = ids_of
        self._mix = mix
        self._flat = Growing(np.int32)  # every chunk's ids, one after another
        self._start = Growing(np.int64)  # per chunk number: where its ids start in _flat
        self._length = Growing(np.int64)  # ... and how many it has
        # per chunk number: its bytes, zero-padded, as three words (zeros for long chunks)
        self._keys = (Growing(np.uint64), Growing(np.uint64), Growing(np.uint64))
        self._byte_length = Growing(np.int64)  # per chunk number: its length in bytes
        self._table = HashTable()
        self._long: dict[str, int] = {}

    def term_ids(self, text: str) -> npt.NDArray[np.int32] | None:
        """Return the term ids of every chunk of text in order, or None after a hash collision."""
        # Spaces after the end: every chunk ends before the text does, and WIDTH bytes can be read past it.
        data = (f" {text}" + " " * WIDTH).encode("utf-8")
        spaces = _SPACE[np.frombuffer(data, dtype=np.uint8)]
        edges = np.flatnonzero(spaces[1:] != spaces[:-1]) + 1
        starts, lengths = edges[0::2], edges[1::2] - edges[0::2]
        numbers = np.empty(len(starts), dtype=np.int64)
        short = lengths <= WIDTH
        found = self._short_numbers(data, starts[short], lengths[short])
        if found is None:
            return None
        numbers[short] = found
        for position in np.flatnonzero(~short).tolist():
            chunk = data[starts[position] : starts[position] + lengths[position]].decode("utf-8")
            number = self._long.get(chunk)
            if number is None:
                zero = np.zeros(1, dtype=np.uint64)
                number = self._long[chunk] = self._add([chunk], [zero, zero, zero], [0])
            numbers[position] = number
        return self._expand(numbers)

    def _short_numbers(
        self, data: bytes, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.int64] | None:
        """Return the chunk number of each short chunk, adding the ones not seen before."""
        # the 8 bytes from every offset as one little-endian word (an unaligned view, copied aligned)
        words = np.ndarray((len(data) - 7,), dtype="<u8", buffer=data, strides=(1,)).copy()
        keys = [words[starts + 8 * word] & _LOW_BYTES[np.clip(lengths - 8 * word, 0, 8)] for word in range(3)]
        hashes = (
            keys[0] * self._mix[0]
            + keys[1] * self._mix[1]
            + keys[2] * self._mix[2]
            + lengths.astype(np.uint64) * self._mix[3]
        )
        hashes[hashes == 0] = 1  # 0 marks an empty slot
        numbers = self._table.lookup(hashes)
        missing = numbers < 0
        if missing.any():
            new_hashes, first = np.unique(hashes[missing], return_index=True)
            rows = np.flatnonzero(missing)[first]
            chunks = [
                data[start : start + length].decode("utf-8")
                for start, length in zip(starts[rows].tolist(), lengths[rows].tolist(), strict=True)
            ]
            first_number = self._add(chunks, [key[rows] for key in keys], lengths[rows])
            self._table.insert(new_hashes, np.arange(first_number, first_number + len(rows), dtype=np.int64))
            numbers[missing] = self._table.lookup(hashes[missing])
        same = self._byte_length.array[numbers] == lengths
        for stored, key in zip(self._keys, keys, strict=True):
            same &= stored.array[numbers] == key
        return numbers if bool(same.all()) else None

    def _add(self, chunks: list[str], keys: list[npt.NDArray[np.uint64]], byte_lengths: npt.ArrayLike) -> int:
        """Number new chunks one after another, record their term ids, and return the first number."""
        first = self._start.size
        ids = [self._ids_of(chunk) for chunk in chunks]
        lengths = np.array([len(each) for each in ids], dtype=np.int64)
        self._start.extend(self._flat.size + np.cumsum(lengths) - lengths)
        self._length.extend(lengths)
        self._flat.extend([term for each in ids for term in each])
        for stored, key in zip(self._keys, keys, strict=True):
            stored.extend(key)
        self._byte_length.extend(byte_lengths)
        return first

    def _expand(self, numbers: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
        """Return the term ids of the chunks numbered `numbers`, one chunk after another."""
        lengths, starts = self._length.array[numbers], self._start.array[numbers]
        ends = np.cumsum(lengths)
        # id i of chunk n sits at starts[n] + i: repeat each chunk's offset, add a running count
        offsets = np.repeat(starts - (ends - lengths), lengths)
        flat: npt.NDArray[np.int32] = self._flat.array[offsets + np.arange(int(ends[-1]) if len(ends) else 0)]
        return flat
