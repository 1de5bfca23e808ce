"""The two directions of a connector, typed once for the whole platform.

``in`` is CDP → loyalty engine or partner, ``out`` loyalty engine → CDP (ARCHITECTURE.md §2).
Kinds, the delivery log, mapping rules and webhook tokens all use this one :class:`Direction`, a
``TextChoices`` and so a ``str``: it is stored, compared and serialized as ``"in"``/``"out"``.

Kinds compare a direction by identity (``direction is Direction.IN``), so a plain ``"in"`` read
from a row must never reach them. :class:`DirectionField` converts at the boundary instead of at
each caller: every value read from the database (model rows, ``values()``, ``values_list()``) and
every value assigned to a model's field (``Event(direction="in")``) becomes a member. A caller
cannot forget the conversion, as the replay did, because there is none left to make.
"""

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.query_utils import DeferredAttribute

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.expressions import Combinable, Expression


class Direction(models.TextChoices):
    IN = "in", "In (CDP → engine)"
    OUT = "out", "Out (engine → CDP)"


def _member(value: Any) -> Any:
    """``value`` as a Direction when it names one; anything else as given, for validation to refuse."""
    if isinstance(value, str) and not isinstance(value, Direction):
        try:
            return Direction(value)
        except ValueError:
            return value
    return value


class _DirectionAttribute(DeferredAttribute):
    """The model attribute: what is assigned (or loaded into an instance) is kept as a member."""

    def __set__(self, instance: models.Model, value: Any) -> None:
        instance.__dict__[self.field.attname] = _member(value)


if TYPE_CHECKING:  # set as a CharField is, read as a Direction
    _CharField = models.CharField[str | Combinable, Direction]
else:  # CharField takes no type arguments at run time
    _CharField = models.CharField


class DirectionField(_CharField):
    """A ``CharField(max_length=3)`` whose values are :class:`Direction` members.

    Migrations see a plain ``CharField`` (``deconstruct``): the column is exactly that, so adopting
    this field changes no migration and historical models need no import of ``core``. ``choices``
    default to :class:`Direction`'s; a model may label the same values its own way.
    """

    descriptor_class = _DirectionAttribute

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 3)
        kwargs.setdefault("choices", Direction.choices)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.CharField", args, kwargs

    def from_db_value(self, value: Any, expression: "Expression", connection: "BaseDatabaseWrapper") -> Any:
        return _member(value)

    def to_python(self, value: Any) -> Any:
        return _member(super().to_python(value))
