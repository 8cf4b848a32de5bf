"""A sparse LP assembled block by block: named column blocks, named row blocks, COO entries.

Row blocks keep, per row, the entity it constrains and the slot, so that duals map back to a
crossing, road, quota or window (a shadow price on a crossing says it is the bottleneck).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["LPMatrix", "Block", "RowBlock"]


@dataclass(frozen=True)
class Block:
    """Columns ``start .. start+size`` of one variable family."""

    name: str
    start: int
    size: int

    @property
    def stop(self) -> int:
        return self.start + self.size

    def slice(self) -> slice:
        return slice(self.start, self.stop)


@dataclass(frozen=True)
class RowBlock:
    """Rows of one constraint family; ``entity``/``slot`` give, per row, what it limits and when.

    ``kind`` names the entity kind for reports ('crossing', 'road', 'quota', ...); ``labels`` maps an
    entity index to its id; ``scale`` converts one row's right-hand side into the entity's unit
    (e.g. slot hours, so that a dual times the scale is the value of one more truck per hour)."""

    name: str
    kind: str
    start: int
    size: int
    entity: np.ndarray
    slot: np.ndarray
    labels: list[str]
    scale: np.ndarray
    unit: str

    def slice(self) -> slice:
        return slice(self.start, self.start + self.size)


@dataclass
class LPMatrix:
    """Accumulates columns (cost, bounds), rows (bounds) and entries; ``csc()`` gives the matrix."""

    sense_maximize: bool = True
    cost: list[np.ndarray] = field(default_factory=list)
    col_lower: list[np.ndarray] = field(default_factory=list)
    col_upper: list[np.ndarray] = field(default_factory=list)
    row_lower: list[np.ndarray] = field(default_factory=list)
    row_upper: list[np.ndarray] = field(default_factory=list)
    entries_row: list[np.ndarray] = field(default_factory=list)
    entries_col: list[np.ndarray] = field(default_factory=list)
    entries_val: list[np.ndarray] = field(default_factory=list)
    blocks: dict[str, Block] = field(default_factory=dict)
    row_blocks: list[RowBlock] = field(default_factory=list)
    n_cols: int = 0
    n_rows: int = 0
    _csc: sp.csc_matrix | None = field(default=None, repr=False)

    def add_columns(self, name: str, size: int, cost: np.ndarray | float = 0.0, lower: np.ndarray | float = 0.0, upper: np.ndarray | float = np.inf) -> Block:
        block = Block(name, self.n_cols, size)
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (size,)).copy())
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,)).copy())
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)).copy())
        self.blocks[name] = block
        self.n_cols += size
        return block

    def add_rows(self, name: str, kind: str, lower: np.ndarray | float, upper: np.ndarray | float, entity: np.ndarray, slot: np.ndarray, labels: list[str], scale: np.ndarray | float = 1.0, unit: str = "") -> RowBlock:
        size = len(entity)
        block = RowBlock(
            name, kind, self.n_rows, size, np.asarray(entity, dtype=np.int64), np.asarray(slot, dtype=np.int64), labels,
            np.broadcast_to(np.asarray(scale, dtype=np.float64), (size,)).copy(), unit,
        )
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,)).copy())
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)).copy())
        self.row_blocks.append(block)
        self.n_rows += size
        return block

    def add_entries(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray | float) -> None:
        self._csc = None
        rows = np.asarray(rows, dtype=np.int64)
        self.entries_row.append(rows)
        self.entries_col.append(np.asarray(cols, dtype=np.int64))
        self.entries_val.append(np.broadcast_to(np.asarray(values, dtype=np.float64), rows.shape).copy())

    def row_block(self, name: str) -> RowBlock:
        return next(b for b in self.row_blocks if b.name == name)

    def csc(self) -> sp.csc_matrix:
        """The constraint matrix, column-compressed; built once and kept until entries change."""
        if self._csc is not None and self._csc.shape == (self.n_rows, self.n_cols):
            return self._csc
        rows = np.concatenate(self.entries_row) if self.entries_row else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self.entries_col) if self.entries_col else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.entries_val) if self.entries_val else np.zeros(0)
        matrix = sp.coo_matrix((vals, (rows, cols)), shape=(self.n_rows, self.n_cols)).tocsc()
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        self._csc = matrix
        return matrix

    def vectors(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(cost, col_lower, col_upper, row_lower, row_upper) as flat arrays."""
        cat = lambda parts: np.concatenate(parts) if parts else np.zeros(0)  # noqa: E731
        return cat(self.cost), cat(self.col_lower), cat(self.col_upper), cat(self.row_lower), cat(self.row_upper)
