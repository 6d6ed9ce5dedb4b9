"""pulserec: a real-time recommendation engine that uses language models where they pay off."""

from pulserec.core.types import EVENT_TYPES, Event, EventType, Item, User

__all__ = ["EVENT_TYPES", "Event", "EventType", "Item", "User"]
__version__ = "0.1.0"
