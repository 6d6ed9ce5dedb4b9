"""Column types inferred in a CSV file (all strings): int, float or bool where every value is one.

A column is ``int`` when every non-empty value is a whole number without leading zeros that fits
in 64 bits (so zip codes like ``02139`` and 20-digit barcodes stay strings), ``float`` when every
value is a decimal number (ints and decimals mixed) and finite, ``bool`` when every value is
``true`` or ``false`` (any of ``true True TRUE``); otherwise, or when the column is empty, string.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_INT = r"^-?(?:0|[1-9][0-9]{0,17})$"
_FLOAT = r"^-?(?:0|[1-9][0-9]{0,17}|[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]{1,3})?$"
_BOOL = r"^(?:true|True|TRUE|false|False|FALSE)$"
_PATTERNS: dict[str, str] = {"int": _INT, "float": _FLOAT, "bool": _BOOL}
_TYPES: dict[str, pa.DataType] = {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
BLOCK_SIZE = 8 << 20


def string_options(columns: Sequence[str], include: Sequence[str] = ()) -> pacsv.ConvertOptions:
    """Read ``columns`` as strings (empty and NA-like cells as null), only ``include`` if given."""
    return pacsv.ConvertOptions(
        column_types={name: pa.string() for name in columns},
        strings_can_be_null=True,
        include_columns=list(include),
    )


def _fits(values: pa.Array, kind: str) -> bool:
    if not pc.all(pc.match_substring_regex(values, _PATTERNS[kind])).as_py():
        return False
    if kind == "float":
        return bool(pc.all(pc.is_finite(pc.cast(values, pa.float64()))).as_py())
    return True


def infer_types(path: Path, columns: Sequence[str]) -> dict[str, pa.DataType]:
    """The non-string type of each of ``columns`` that has one, from a pass over the file."""
    if not columns:
        return {}
    candidates = {name: ["int", "float", "bool"] for name in columns}
    seen: set[str] = set()
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_SIZE),
        convert_options=string_options(columns, columns),
    )
    for batch in reader:
        for name in list(candidates):
            values = pc.drop_null(batch.column(name))
            if len(values) == 0:
                continue
            seen.add(name)
            candidates[name] = [kind for kind in candidates[name] if _fits(values, kind)]
            if not candidates[name]:
                del candidates[name]
        if not candidates:
            break
    return {name: _TYPES[kinds[0]] for name, kinds in candidates.items() if name in seen}


def convert(batch: pa.RecordBatch, types: dict[str, pa.DataType]) -> pa.RecordBatch:
    """``batch`` with the inferred columns cast from strings to their types."""
    if not types:
        return batch
    arrays = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        target = types.get(name)
        if target is None:
            arrays.append(column)
        elif target == pa.bool_():
            arrays.append(pc.equal(pc.utf8_lower(column), "true"))
        else:
            arrays.append(pc.cast(column, target))
    return pa.RecordBatch.from_arrays(arrays, names=batch.schema.names)
