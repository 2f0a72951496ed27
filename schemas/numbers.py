"""Numbers as JSON has them: a JSON number is accepted (an integer-valued 3.0 for an integer, as JSON
Schema does), a string or a boolean is not (`"5"` is not 5, `true` is not 1). Pydantic's lax mode
would convert both; its strict mode would refuse 3.0 and values our own code computes (a Decimal
from a SQL sum)."""

from decimal import Decimal
from numbers import Real
from typing import Annotated, Any

from pydantic import BeforeValidator


def _json_int(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValueError("must be an integer (a JSON number, not a string)")
    if isinstance(value, int):
        return value
    if float(value).is_integer():
        return int(value)
    raise ValueError("must be a whole number")


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        raise ValueError("must be a number (a JSON number, not a string)")
    return float(value)


class _Bounds:
    """Pydantic writes bounds set around a function-validated type as `ge`/`le` (its own names)
    instead of JSON Schema's `minimum`/`maximum`: renamed here, so the document states them."""

    NAMES = {"ge": "minimum", "le": "maximum", "gt": "exclusiveMinimum", "lt": "exclusiveMaximum"}

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        found = handler(schema)
        for ours, standard in self.NAMES.items():
            if ours in found:
                found[standard] = found.pop(ours)
        return found


JsonInt = Annotated[int, BeforeValidator(_json_int), _Bounds()]
JsonNumber = Annotated[float, BeforeValidator(_json_number), _Bounds()]
