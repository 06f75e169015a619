"""The registry of rule kinds: one pydantic model per kind, discriminated by `kind`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from corridor.rules.aca import SafeThirdCountry
from corridor.rules.asylum import AsylumTransit
from corridor.rules.between_ports import CrossingBetweenPorts
from corridor.rules.closure import Closure
from corridor.rules.control import BorderControl, Checkpoint
from corridor.rules.detention import CaseReview, Detention
from corridor.rules.mpp import RemainInMexico
from corridor.rules.permit import TransitPermit
from corridor.rules.port import PortOfEntry
from corridor.rules.returns import AssistedReturn
from corridor.rules.shelter import Shelter

RULE_TYPES = (Closure, BorderControl, Checkpoint, TransitPermit, CaseReview, Detention,
              AsylumTransit, AssistedReturn, PortOfEntry, CrossingBetweenPorts,
              SafeThirdCountry, RemainInMexico, Shelter)

KINDS: dict[str, type] = {t.model_fields["kind"].default: t for t in RULE_TYPES}

AnyRule = Annotated[
    Closure | BorderControl | Checkpoint | TransitPermit | CaseReview | Detention
    | AsylumTransit | AssistedReturn | PortOfEntry | CrossingBetweenPorts | SafeThirdCountry
    | RemainInMexico | Shelter,
    Field(discriminator="kind"),
]
