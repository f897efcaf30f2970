"""Travel minutes between homes and schools: one definition for the planner and the validator.

A missing travel.csv pair is estimated as
`great_circle_km * detour_factor / speed_kmh * 60` and rounded *up* to whole
minutes (12.1 -> 13): the hard rules compare the exact estimate with the
commute limit and the gap between windows, so a rounded-down 45.3 would let
the planner send a technician 45.3 minutes against a 45-minute limit. The
great-circle distance is the haversine
formula on a sphere of radius 6371.0088 km (the IUGG mean Earth radius).
The solver sees only these integers, so the validator must round exactly as
the instance builder did: both go through `TravelMatrix`, and both the
scalar and the matrix path run the same numpy kernel. The value is snapped
to 1e-6 minutes before rounding, so that last-bit differences between
numpy's vector and scalar code paths cannot push a whole minute (45.000000001)
up to the next.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scheduler.domain import Scenario

EARTH_RADIUS_KM = 6371.0088
"""IUGG mean radius: the sphere that best fits the WGS84 ellipsoid."""

Floats = npt.NDArray[np.float64]


def _unit_vectors(lat: Floats, lon: Floats) -> tuple[Floats, Floats, Floats]:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)


def great_circle_km(lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
    """Haversine distance, computed through the chord between unit vectors; broadcasts.

    `sqrt(haversine) == chord / 2`, so this is the haversine formula with the
    trigonometry done once per place and only a square root and an arcsine
    per pair, in place: a 1,200-place matrix takes a few tens of milliseconds.
    """
    x1, y1, z1 = _unit_vectors(lat1, lon1)
    x2, y2, z2 = _unit_vectors(lat2, lon2)
    chord = np.asarray(np.square(np.subtract(x1, x2)))
    chord += np.square(np.subtract(y1, y2))
    chord += np.square(np.subtract(z1, z2))
    np.sqrt(chord, out=chord)
    chord *= 0.5
    np.minimum(chord, 1.0, out=chord)
    np.arcsin(chord, out=chord)
    chord *= 2 * EARTH_RADIUS_KM
    return chord


def round_up(minutes: Floats) -> npt.NDArray[np.int64]:
    """Whole minutes, never fewer than the estimate: a limit met in whole minutes is met."""
    snapped = np.multiply(minutes, 1e6)
    np.rint(snapped, out=snapped)
    snapped *= 1e-6
    np.ceil(snapped, out=snapped)
    return snapped.astype(np.int64)


class TravelMatrix:
    """Minutes between any two places of a scenario (a technician id stands for their home).

    Ids are looked up among schools first, then technicians; the format
    assumes the two id sets are disjoint.
    """

    def __init__(self, scenario: Scenario) -> None:
        self._index: dict[str, int] = {}
        lat: list[float] = []
        lon: list[float] = []
        for place_id, place_lat, place_lon in [
            *((s.school_id, s.lat, s.lon) for s in scenario.schools),
            *((t.technician_id, t.lat, t.lon) for t in scenario.technicians),
        ]:
            if place_id not in self._index:
                self._index[place_id] = len(lat)
                lat.append(place_lat)
                lon.append(place_lon)
        self._lat, self._lon = np.array(lat, dtype=np.float64), np.array(lon, dtype=np.float64)
        self._km_to_minutes = scenario.settings.detour_factor / scenario.settings.speed_kmh * 60
        self._given: dict[tuple[str, str], int] = {
            (row.from_id, row.to_id): int(row.minutes) for row in scenario.travel
        }
        known = np.array(
            [
                (self._index[a], self._index[b], minutes)
                for (a, b), minutes in self._given.items()
                if a in self._index and b in self._index
            ],
            dtype=np.int64,
        ).reshape(-1, 3)
        self._given_from, self._given_to, self._given_minutes = known.T
        self._estimated: dict[tuple[str, str], int] = {}

    def minutes(self, from_id: str, to_id: str) -> int:
        """travel.csv for this ordered pair, else the coordinate estimate rounded up."""
        pair = (from_id, to_id)
        found = self._given.get(pair)
        if found is None:
            found = self._estimated.get(pair)
        if found is None:
            i, j = self._position(from_id), self._position(to_id)
            lat, lon = self._lat[[i, j]], self._lon[[i, j]]
            found = int(self._estimate(lat[:1], lon[:1], lat[1:], lon[1:])[0])
            self._estimated[pair] = found
        return found

    def matrix(self, ids: Sequence[str]) -> npt.NDArray[np.int64]:
        """`result[a, b] == minutes(ids[a], ids[b])` for every pair, in one vectorised pass.

        Duplicated ids are allowed: each copy gets the same row and column.
        """
        return round_up(self.exact_matrix(ids))

    def exact_matrix(self, ids: Sequence[str]) -> Floats:
        """`matrix` before rounding (travel.csv as given): the spec's travel per visit."""
        positions = np.array([self._position(place_id) for place_id in ids], dtype=np.int64)
        unique, inverse = np.unique(positions, return_inverse=True)
        lat, lon = self._lat[unique], self._lon[unique]
        result = self._exact(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
        local = np.full(len(self._lat), -1, dtype=np.int64)
        local[unique] = np.arange(len(unique))
        rows, cols = local[self._given_from], local[self._given_to]
        wanted = (rows >= 0) & (cols >= 0)
        result[rows[wanted], cols[wanted]] = self._given_minutes[wanted]
        if len(unique) == len(positions) and np.array_equal(unique, positions):
            return result
        return result[np.ix_(inverse, inverse)]

    def _exact(self, lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats) -> Floats:
        minutes = great_circle_km(lat1, lon1, lat2, lon2)
        minutes *= self._km_to_minutes
        return minutes

    def _estimate(
        self, lat1: Floats, lon1: Floats, lat2: Floats, lon2: Floats
    ) -> npt.NDArray[np.int64]:
        return round_up(self._exact(lat1, lon1, lat2, lon2))

    def _position(self, place_id: str) -> int:
        try:
            return self._index[place_id]
        except KeyError:
            raise KeyError(f"{place_id!r} is neither a school nor a technician id") from None


class HomeLegs(TravelMatrix):
    """`TravelMatrix` with every home <-> school pair computed up front, in vectorised blocks.

    Eligibility (rule 3's commute) asks for all of them at once, and pair by pair each is
    a small numpy call: about 1.5 s for a 300-school book, against milliseconds here. The
    values are the matrix path's, which the travel module guarantees equal to the pairs'.
    """

    SCHOOLS_PER_BLOCK = 500

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(scenario)
        homes = [t.technician_id for t in scenario.technicians]
        schools = [s.school_id for s in scenario.schools]
        self._home = {tid: n for n, tid in enumerate(homes)}
        self._school = {sid: n for n, sid in enumerate(schools)}
        outbound, inbound = [], []
        for start in range(0, len(schools), self.SCHOOLS_PER_BLOCK):
            block = schools[start : start + self.SCHOOLS_PER_BLOCK]
            square = self.matrix([*homes, *block])
            outbound.append(square[: len(homes), len(homes) :])
            inbound.append(square[len(homes) :, : len(homes)])
        self._outbound = np.hstack(outbound) if outbound else np.zeros((len(homes), 0), int)
        self._inbound = np.vstack(inbound) if inbound else np.zeros((0, len(homes)), int)

    def minutes(self, from_id: str, to_id: str) -> int:
        home, school = self._home.get(from_id), self._school.get(to_id)
        if home is not None and school is not None:
            return int(self._outbound[home, school])
        school, home = self._school.get(from_id), self._home.get(to_id)
        if home is not None and school is not None:
            return int(self._inbound[school, home])
        return super().minutes(from_id, to_id)
