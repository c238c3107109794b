"""Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1e3`) held exactly, as an
integer count of nano-units, so `1Gi == 1024Mi` and `500m == 0.5`."""

import re
from functools import total_ordering

_NANOS = 10**9
_SUFFIXES = {
    "": (1, 0), "n": (1, -9), "u": (1, -6), "m": (1, -3), "k": (1, 3), "M": (1, 6),
    "G": (1, 9), "T": (1, 12), "P": (1, 15), "E": (1, 18),
    "Ki": (1 << 10, 0), "Mi": (1 << 20, 0), "Gi": (1 << 30, 0),
    "Ti": (1 << 40, 0), "Pi": (1 << 50, 0), "Ei": (1 << 60, 0),
}
_NUMBER = re.compile(r"^([0-9.]*)(.*)$")


class QuantityError(ValueError):
    """Why a string is not a Kubernetes quantity."""

    def __init__(self, text, reason):
        super().__init__(f"`{text}` is not a Kubernetes quantity: {reason}")


def _suffix(suffix):
    if suffix in _SUFFIXES:
        return _SUFFIXES[suffix]
    if suffix[:1] in ("e", "E"):
        try:
            exp = int(suffix[1:])
        except ValueError:
            return None
        if -30 <= exp <= 30:
            return (1, exp)
    return None


@total_ordering
class Quantity:
    """A parsed Kubernetes quantity, exact to 1e-9 of a unit."""

    __slots__ = ("nanos",)

    def __init__(self, nanos):
        self.nanos = nanos

    @classmethod
    def parse(cls, text):
        """Parses a quantity string, or an int/float as the Rust SDK reads JSON numbers."""
        if isinstance(text, bool):
            raise QuantityError(text, "not a string or number")
        if isinstance(text, int):
            return cls(text * _NANOS)
        if isinstance(text, float):
            text = repr(text)
        if not isinstance(text, str):
            raise QuantityError(text, "not a string or number")
        s = text.strip()
        if not s:
            raise QuantityError(text, "empty")
        negative = s[0] == "-"
        if s[0] in "+-":
            s = s[1:]
        number, suffix = _NUMBER.match(s).groups()
        if not number or number == ".":
            raise QuantityError(text, "no digits")
        int_part, _, frac = number.partition(".")
        if "." in frac:
            raise QuantityError(text, "more than one decimal point")
        parsed = _suffix(suffix)
        if parsed is None:
            raise QuantityError(text, "unknown suffix")
        binary, decimal = parsed
        mantissa = int(int_part + frac or "0")
        exponent = decimal - len(frac) + 9
        nanos = mantissa * binary
        if exponent >= 0:
            nanos *= 10**exponent
        else:
            divisor = 10 ** (-exponent)
            nanos = (nanos + divisor - 1) // divisor
        return cls(-nanos if negative else nanos)

    def millis(self):
        """The value in milli-units, rounded up."""
        return -((-self.nanos) // 1_000_000)

    def units(self):
        """The value in whole units, rounded up."""
        return -((-self.nanos) // _NANOS)

    def ratio_to(self, other):
        """`self / other` as a float; None when `other` is zero."""
        return None if other.nanos == 0 else self.nanos / other.nanos

    def __eq__(self, other):
        return isinstance(other, Quantity) and self.nanos == other.nanos

    def __lt__(self, other):
        return self.nanos < other.nanos

    def __hash__(self):
        return hash(self.nanos)

    def __repr__(self):
        return f"Quantity({self.nanos}n)"
