"""Plain typed objects for every entity of the scenario format.

Everything above the storage layer speaks these types, so the database, the
CSV folder and the solver instance are interchangeable views of one scenario.
Objects are frozen: a change is a new object, which keeps plans reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

WEEKDAY_NAMES: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
"""Index = `date.weekday()`; the spec spells weekdays this way."""


class Nation(StrEnum):
    ENG = "ENG"
    WLS = "WLS"
    SCT = "SCT"
    NIR = "NIR"


class Grade(StrEnum):
    APPRENTICE = "apprentice"
    FIRST_LINE = "first_line"
    SECOND_LINE = "second_line"


class Package(StrEnum):
    SCHEDULED = "scheduled"
    SCHEDULED_ON_DEMAND = "scheduled_on_demand"
    ON_DEMAND = "on_demand"
    FULL_MANAGED = "full_managed"
    CLOUD = "cloud"


SCHEDULED_PACKAGES = frozenset({Package.SCHEDULED, Package.SCHEDULED_ON_DEMAND})
"""Packages whose contracts buy a number of visits on a cadence."""


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"
    NONE = "none"

    @property
    def days(self) -> int:
        """Nominal gap between regular visits; 0 when there is no cadence."""
        return {"weekly": 7, "fortnightly": 14, "monthly": 28, "none": 0}[self.value]


class VisitStatus(StrEnum):
    DELIVERED = "delivered"
    EMERGENCY = "emergency"
    REMOTE_IN_LIEU = "remote_in_lieu"
    CANCELLED_BY_SCHOOL = "cancelled_by_school"
    CANCELLED_BY_PROVIDER = "cancelled_by_provider"


CONSUMING_STATUSES = frozenset(
    {
        VisitStatus.DELIVERED,
        VisitStatus.EMERGENCY,
        VisitStatus.REMOTE_IN_LIEU,
        VisitStatus.CANCELLED_BY_SCHOOL,
    }
)
"""History statuses that use up a bought visit; a provider cancellation is owed again."""


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class VisitKind(StrEnum):
    SCHEDULED = "scheduled"
    MAKE_UP = "make_up"
    EMERGENCY = "emergency"
    DEDICATED = "dedicated"


DAY_WINDOW = "DAY"
"""Window name of a `dedicated` roster row: the whole on-site day."""


@dataclass(frozen=True, slots=True)
class Window:
    family: str
    name: str
    start: time
    end: time

    @property
    def minutes(self) -> tuple[int, int]:
        return (self.start.hour * 60 + self.start.minute, self.end.hour * 60 + self.end.minute)


DEFAULT_WINDOWS: tuple[Window, ...] = (
    Window("3h", "AM", time(8, 30), time(11, 30)),
    Window("3h", "PM", time(12, 30), time(15, 30)),
    Window("2h", "AM", time(8, 30), time(10, 30)),
    Window("2h", "LUNCH", time(11, 0), time(13, 0)),
    Window("2h", "PM", time(14, 30), time(16, 0)),
)


@dataclass(frozen=True, slots=True)
class Settings:
    shutdown: tuple[tuple[date, date], ...] = ()
    onsite_start: time = time(8, 0)
    onsite_end: time = time(18, 0)
    speed_kmh: float = 40.0
    detour_factor: float = 1.3
    max_commute_minutes: int = 60
    objective: dict[str, float] = field(default_factory=dict)
    """Overrides of the planner's penalty weights (settings.toml `[objective]`)."""
    provider_name: str = ""
    """Shown on customer statements (settings.toml `[company] name`, an extension)."""


@dataclass(frozen=True, slots=True)
class School:
    school_id: str
    name: str
    lat: float
    lon: float
    nation: Nation
    term_calendar: str
    postcode: str = ""
    holiday_access: bool = False
    requires_senior: bool = False
    required_skills: frozenset[str] = frozenset()
    preferred_weekday: int | None = None
    """0 = Monday .. 4 = Friday."""
    preferred_window: str | None = None


@dataclass(frozen=True, slots=True)
class TermBlock:
    term_calendar: str
    first_day: date
    last_day: date


@dataclass(frozen=True, slots=True)
class Closure:
    school_id: str
    first_day: date
    last_day: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Technician:
    technician_id: str
    name: str
    lat: float
    lon: float
    grade: Grade
    skills: frozenset[str] = frozenset()
    work_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})
    max_visits_per_day: int = 3
    max_commute_minutes: int | None = None
    """None means the company default from settings."""

    @property
    def is_senior(self) -> bool:
        return self.grade is not Grade.APPRENTICE


@dataclass(frozen=True, slots=True)
class Leave:
    technician_id: str
    first_day: date
    last_day: date
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Contract:
    contract_id: str
    school_id: str
    package: Package
    start_date: date
    period_weeks: int
    visits: int = 0
    cadence: Cadence = Cadence.NONE
    window_family: str = "3h"
    dedicated_technician_id: str | None = None
    sla_policy: str = "standard"

    @property
    def end_date(self) -> date:
        """Last day of the delivery period, inclusive."""
        return self.start_date + timedelta(days=7 * self.period_weeks - 1)

    @property
    def is_scheduled(self) -> bool:
        return self.package in SCHEDULED_PACKAGES

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True, slots=True)
class HistoryVisit:
    visit_id: str
    contract_id: str
    date: date
    window: str
    technician_id: str
    status: VisitStatus


@dataclass(frozen=True, slots=True)
class Ticket:
    ticket_id: str
    school_id: str
    priority: str
    opened_at: datetime
    responded_at: datetime | None = None
    resolved_at: datetime | None = None
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    emergency: bool = False


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """One `[policy.NAME]` table of sla.toml, kept whole so extensions survive a round trip."""

    name: str
    table: dict[str, object]


@dataclass(frozen=True, slots=True)
class TravelTime:
    from_id: str
    to_id: str
    minutes: int


@dataclass(frozen=True, slots=True)
class PlannedVisit:
    """One roster row: a placed visit."""

    visit_id: str
    date: date
    window: str
    start: time
    end: time
    school_id: str
    contract_id: str
    technician_id: str
    kind: VisitKind
    locked: bool = False


@dataclass(slots=True)
class Scenario:
    """One provider's whole book, as a scenario folder describes it."""

    schools: list[School] = field(default_factory=list)
    technicians: list[Technician] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)
    term_dates: list[TermBlock] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    leave: list[Leave] = field(default_factory=list)
    history: list[HistoryVisit] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    travel: list[TravelTime] = field(default_factory=list)
    windows: list[Window] = field(default_factory=lambda: list(DEFAULT_WINDOWS))
    sla_policies: list[SlaPolicy] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)

    def school(self, school_id: str) -> School:
        return self._index("schools", "school_id")[school_id]

    def technician(self, technician_id: str) -> Technician:
        return self._index("technicians", "technician_id")[technician_id]

    def contract(self, contract_id: str) -> Contract:
        return self._index("contracts", "contract_id")[contract_id]

    def window(self, family: str, name: str) -> Window:
        return {(w.family, w.name): w for w in self.windows}[(family, name)]

    def _index(self, attr: str, key: str) -> dict[str, object]:
        """Built per call: for occasional lookups; hot paths keep their own dicts."""
        return {getattr(item, key): item for item in getattr(self, attr)}
