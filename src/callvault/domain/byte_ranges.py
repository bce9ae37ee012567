"""A byte range asked for in a `Range` header (RFC 9110 §14.1.2), and which bytes of a body it selects.

The header is read at the HTTP edge (`api/media_response.requested_range`); services take this type.
"""

from __future__ import annotations

from dataclasses import dataclass

from callvault.domain.errors import RangeNotSatisfiable, ValidationFailed


@dataclass(frozen=True)
class ByteRange:
    """`bytes=first-last` (`last` None: to the end), or the final `suffix` bytes (`bytes=-suffix`)."""

    first: int | None = None
    last: int | None = None
    suffix: int | None = None

    def __post_init__(self) -> None:
        if (self.first is None) == (self.suffix is None) or (
            self.suffix is not None and self.last is not None
        ):
            raise ValidationFailed("A byte range has either a first byte or a suffix length")
        if self.first is not None and self.last is not None and self.last < self.first:
            raise ValidationFailed("A byte range cannot end before it starts")

    def __str__(self) -> str:
        if self.suffix is not None:
            return f"bytes=-{self.suffix}"
        return f"bytes={self.first}-{'' if self.last is None else self.last}"

    def within(self, size: int) -> tuple[int, int]:
        """(start, end), both inclusive, of a body of `size` bytes; 416 when the range selects none
        of it (`bytes=-0`, a first byte at or past the end). A last byte past the end is the end."""
        if self.suffix is not None:
            start, end, satisfiable = max(size - self.suffix, 0), size - 1, self.suffix > 0
        else:
            assert self.first is not None
            start, end = self.first, size - 1 if self.last is None else self.last
            satisfiable = start < size
        if not satisfiable:
            raise RangeNotSatisfiable(
                f"Range {str(self)[:64]} cannot be satisfied: the media is {size} bytes",
                headers={"Content-Range": f"bytes */{size}"},
            )
        return start, min(end, size - 1)
