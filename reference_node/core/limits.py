"""Published limits of a node (docs/spec.md section 11, REQ-LIM-001)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_GOODS_ITEMS_CEILING", "Limits"]

#: The highest ``max_goods_items`` a node may publish (REQ-CO-008).
MAX_GOODS_ITEMS_CEILING: Final = 999


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The limits a node publishes and enforces (REQ-LIM-001).

    Attributes:
        max_message_bytes: Largest gRPC message accepted (4 MiB).
        max_payload_bytes: Largest envelope payload accepted (1 MiB).
        max_goods_items: Most goods items in one CO (REQ-CO-008), at most 999.
        max_stream_documents: Most documents in one submission stream.
        max_page_size: Largest ``page_size`` honoured (REQ-PULL-001).
        default_page_size: ``page_size`` used when the request gives 0.
    """

    max_message_bytes: int = 4 * 1024 * 1024
    max_payload_bytes: int = 1024 * 1024
    max_goods_items: int = 999
    max_stream_documents: int = 10000
    max_page_size: int = 1000
    default_page_size: int = 50

    def __post_init__(self) -> None:
        for name in (
            "max_message_bytes",
            "max_payload_bytes",
            "max_goods_items",
            "max_stream_documents",
            "max_page_size",
            "default_page_size",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"limit {name} must be positive")
        if self.max_goods_items > MAX_GOODS_ITEMS_CEILING:
            raise ValueError(
                f"max_goods_items must not exceed {MAX_GOODS_ITEMS_CEILING} (REQ-CO-008)"
            )
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
