"""Renumbering, crosswalks, lookup and the parcel UID.

The numbering core is checked with hypothesis against a slow reference implementation
written from the rule as provinces state it; the whole stage against the synthetic
province's truth.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import openpyxl
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from landclean.errors import LandcleanError, PipelineError
from landclean.pipeline import run_pipeline
from landclean.renumber.lookup import lookup_old, lookup_serial, write_crosswalks
from landclean.renumber.order import load_order
from landclean.renumber.stage import number_sheets
from landclean.settings import Settings
from landclean.workspace import Workspace, create_workspace, open_workspace
from tests.conftest import Province, ids, q, valid_summary
from tests.test_geohash import _decode_box

# ---------------------------------------------------------------- the numbering core

NEW = "22015"  # Phường Tuy Hòa: formed from several old wards and communes


@pytest.fixture(scope="module")
def core_ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = create_workspace(tmp_path_factory.mktemp("core") / "core.duckdb")
    yield ws  # type: ignore[misc]
    ws.close()


def _olds(ws: Workspace) -> list[str]:
    return [
        r[0]
        for r in q(
            ws.con, "SELECT old_code FROM admin_crosswalk WHERE new_code = ? ORDER BY 1", [NEW]
        )
    ]


def reference(
    sheets: list[tuple[str, int, int]], order: dict[str, int]
) -> dict[tuple[str, int, int], int]:
    """The rule as stated: per scale, old communes in order (the province's positions
    first, then by code); the first keeps its numbers, each next one continues after the
    largest new sheet number so far."""
    out: dict[tuple[str, int, int], int] = {}
    for scale in sorted({s for _, s, _ in sheets}):
        olds = sorted(
            {o for o, s, _ in sheets if s == scale}, key=lambda o: (order.get(o, 10**9), o)
        )
        largest_so_far = 0
        for old in olds:
            mine = sorted(n for o, s, n in sheets if o == old and s == scale)
            for n in mine:
                out[(old, scale, n)] = n + largest_so_far
            largest_so_far = max(largest_so_far, max(out[(old, scale, n)] for n in mine))
    return out


def run_core(
    ws: Workspace, parcels: list[tuple[str, int, int, int]], order: dict[str, int]
) -> dict[tuple[str, int, int], int]:
    con = ws.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM parcel")
        con.executemany(
            "INSERT INTO parcel (parcel_id, unit_code, old_unit_code, scale, sheet_no, "
            "parcel_no) VALUES (?, ?, ?, ?, ?, ?)",
            [[f"P{i}", NEW, o, s, n, k] for i, (o, s, n, k) in enumerate(parcels)],
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rn_place AS SELECT parcel_id, unit_code AS new_code, "
            "unit_code, 'not_split' AS placement FROM parcel"
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rn_order "
            "(unit_code VARCHAR, old_unit_code VARCHAR, position INTEGER)"
        )
        if order:
            con.executemany(
                "INSERT INTO rn_order VALUES (?, ?, ?)", [[NEW, o, p] for o, p in order.items()]
            )
        number_sheets(con)
        rows = q(
            con, "SELECT old_unit_code, scale, old_sheet_no, new_sheet_no FROM sheet_crosswalk"
        )
        parcel_rows = q(con, "SELECT count(*) FROM rn_result WHERE new_sheet_no IS NULL")
    finally:
        con.execute("ROLLBACK")
    assert parcel_rows == [(0,)]
    return {(o, s, n): m for o, s, n, m in rows}


@st.composite
def provinces(draw: st.DrawFn) -> tuple[list[tuple[str, int, int, int]], list[int], int]:
    n_old = draw(st.integers(1, 4))
    picks = draw(st.lists(st.integers(0, 5), min_size=n_old, max_size=n_old, unique=True))
    parcels = []
    for pick in picks:
        for scale in draw(st.sets(st.sampled_from([500, 2000]), min_size=1)):
            for sheet in draw(st.sets(st.integers(1, 40), min_size=1, max_size=6)):
                for k in range(draw(st.integers(1, 2))):
                    parcels.append((pick, scale, sheet, k + 1))
    seed = draw(st.integers(0, 10**6))
    return parcels, picks, seed  # type: ignore[return-value]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(provinces(), st.booleans())
def test_numbering_is_a_bijection_equal_to_the_reference(
    core_ws: Workspace,
    drawn: tuple[list[tuple[int, int, int, int]], list[int], int],
    own_order: bool,
) -> None:
    olds = _olds(core_ws)
    raw, picks, seed = drawn
    parcels = [(olds[o], s, n, k) for o, s, n, k in raw]
    rng = random.Random(seed)
    order = {}
    if own_order:  # the province's own order: a permutation of the old communes
        shuffled = [olds[p] for p in picks]
        rng.shuffle(shuffled)
        order = {o: i + 1 for i, o in enumerate(shuffled)}
    got = run_core(core_ws, parcels, order)
    sheets = sorted({(o, s, n) for o, s, n, _ in parcels})
    assert got == reference(sheets, order)
    # a bijection per scale: every old sheet once, no two on one new sheet
    assert set(got) == set(sheets)
    assert len({(s, m) for (_, s, _), m in got.items()}) == len(got)
    # the first old commune of each scale keeps its numbers
    for scale in {s for _, s, _ in sheets}:
        first = min({o for o, s, _ in sheets if s == scale}, key=lambda o: (order.get(o, 10**9), o))
        assert all(got[k] == k[2] for k in got if k[0] == first and k[1] == scale)
    # deterministic, independent of the input order, idempotent
    shuffled_rows = parcels[:]
    rng.shuffle(shuffled_rows)
    assert run_core(core_ws, shuffled_rows, order) == got
    assert run_core(core_ws, parcels, order) == got


def test_renumbering_example_from_the_practice(core_ws: Workspace) -> None:
    """A: 1-84 keep; B: 1-59 -> 85-143; C continues at 144 (DOMAIN.md)."""
    a, b, c = _olds(core_ws)[:3]
    parcels = [(a, 2000, n, 1) for n in range(1, 85)]
    parcels += [(b, 2000, n, 1) for n in range(1, 60)]
    parcels += [(c, 2000, n, 1) for n in (1, 2)]
    got = run_core(core_ws, parcels, {})
    assert got[(a, 2000, 84)] == 84
    assert (got[(b, 2000, 1)], got[(b, 2000, 59)]) == (85, 143)
    assert got[(c, 2000, 1)] == 144


def test_bad_order_files_are_refused(core_ws: Workspace, tmp_path: Path) -> None:
    a = _olds(core_ws)[0]
    cases = {
        "new_code,old_code,position\n22015,99999,1\n": "row 2, columns new_code/old_code",
        f"new_code,old_code,position\n22015,{a},x\n": "row 2, column position",
        f"new_code,old_code,position\n22015,{a},1\n22015,{_olds(core_ws)[1]},1\n": "used twice",
        "a,b\n1,2\n": "expected a CSV file with columns new_code,old_code,position",
    }
    for text, message in cases.items():
        path = tmp_path / "order.csv"
        path.write_text(text)
        with pytest.raises(PipelineError, match=message):
            load_order(core_ws.con, path)


# ---------------------------------------------------------------- the synthetic province


def test_every_parcel_is_mapped_once_and_areas_are_conserved(ws: Workspace) -> None:
    checks = q(ws.con, "SELECT count(*), count(*) FILTER (WHERE conserved) FROM renumber_check")
    assert checks[0][0] > 200 and checks[0][0] == checks[0][1]
    total = q(
        ws.con, "SELECT sum(parcels), sum(mapped + unplaced + without_sheet) FROM renumber_check"
    )
    assert total[0][0] == total[0][1] == q(ws.con, "SELECT count(*) FROM parcel")[0][0]


def test_no_two_parcels_share_new_numbers_unless_they_shared_old_ones(
    ws: Workspace, province: Province
) -> None:
    clash = ids(
        ws.con,
        "SELECT parcel_id FROM parcel WHERE new_sheet_no IS NOT NULL QUALIFY count(*) OVER "
        "(PARTITION BY unit_code, scale, new_sheet_no, parcel_no) > 1",
    )
    duplicates = ids(
        ws.con,
        f"SELECT record_id FROM '{province.truth('defects')}' "
        "WHERE defect = 'parcel_duplicate_number'",
    )
    assert clash <= duplicates


def test_parcels_go_to_the_new_commune_that_holds_them(ws: Workspace, province: Province) -> None:
    placed = dict(
        q(
            ws.con,
            "SELECT parcel_id, unit_code FROM parcel "
            "WHERE placement IN ('not_split', 'location', 'boundary')",
        )
    )
    truth = dict(q(ws.con, f"SELECT parcel_id, unit_code FROM '{province.truth('parcels')}'"))
    wrong = {p for p, u in placed.items() if truth[p] != u}
    assert not wrong
    located = q(ws.con, "SELECT count(*) FROM parcel WHERE placement = 'location'")[0][0]
    assert located > 0
    # parcels of split communes without a geometry cannot be placed: findings, no number
    no_location = ids(ws.con, "SELECT parcel_id FROM parcel WHERE placement = 'no_location'")
    missing = ids(
        ws.con,
        f"SELECT record_id FROM '{province.truth('defects')}' "
        "WHERE defect IN ('parcel_missing_geometry')",
    )
    assert no_location <= missing
    uncertain = ids(
        ws.con, "SELECT record_id FROM finding WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN'"
    )
    assert uncertain == ids(
        ws.con,
        "SELECT parcel_id FROM parcel "
        "WHERE placement IN ('ambiguous', 'no_location', 'unknown_commune')",
    )
    assert not ids(
        ws.con,
        "SELECT parcel_id FROM parcel WHERE new_sheet_no IS NOT NULL "
        "AND placement NOT IN ('not_split', 'location', 'boundary')",
    )


def test_uid_points_lie_inside_their_parcels(ws: Workspace) -> None:
    rows = q(
        ws.con,
        "SELECT uid, ST_AsWKB(geom) FROM parcel WHERE geom IS NOT NULL AND uid IS NOT NULL "
        "AND NOT COALESCE(geom_repaired, false) ORDER BY parcel_id LIMIT 300",
    )
    assert len(rows) == 300
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:9218", always_xy=True)
    for uid, wkb in rows:
        assert len(uid) == 12
        lat_lo, lat_hi, lon_lo, lon_hi = _decode_box(uid)
        x, y = to_vn2000.transform((lon_lo + lon_hi) / 2, (lat_lo + lat_hi) / 2)
        polygon = shapely.from_wkb(bytes(wkb))
        point = shapely.Point(x, y)
        assert polygon.contains(point), uid
        # a pole of inaccessibility: as far from the edges as the largest inscribed
        # circle's radius (GEOS through shapely, to 1 mm), less the tolerance (2 % of
        # the side, at least 5 cm) and half a GeoHash-12 cell's diagonal (~2.1 cm)
        radius = shapely.length(shapely.maximum_inscribed_circle(polygon, 0.001))
        slack = max(0.05, polygon.area**0.5 / 50) + 0.025
        assert polygon.boundary.distance(point) >= radius - slack, uid
    unique = q(ws.con, "SELECT count(uid), count(DISTINCT uid) FROM parcel")
    assert unique[0][0] == unique[0][1]
    assert q(ws.con, "SELECT count(*) FROM uid_collision") == [(0,)]


def test_uid_collisions_are_reported(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        a, b = [
            r[0]
            for r in q(
                ws.con,
                "SELECT parcel_id FROM parcel WHERE geom IS NOT NULL "
                "AND placement = 'not_split' ORDER BY 1 LIMIT 2",
            )
        ]
        with ws.transaction() as tx:  # a parcel digitized twice: the same polygon
            tx.execute(
                "UPDATE parcel SET geom = (SELECT geom FROM parcel WHERE parcel_id = ?) "
                "WHERE parcel_id = ?",
                [a, b],
            )
        from landclean.pipeline import run_pipeline

        # a geometry changed by hand, not by an import: everything again
        run_pipeline(ws, stages=["renumber", "validate"], full=True)
        assert ids(ws.con, "SELECT parcel_id FROM uid_collision") == {a, b}
        assert ids(
            ws.con,
            "SELECT record_id FROM finding "
            "WHERE rule_id = 'PARCEL_UID_COLLISION' AND state = 'open'",
        ) == {a, b}


def test_lookup_by_old_numbers_and_by_serial(ws: Workspace) -> None:
    pid, old, sheet, number, scale, new, new_sheet = q(
        ws.con,
        "SELECT parcel_id, old_unit_code, sheet_no, parcel_no, scale, unit_code, new_sheet_no "
        "FROM parcel WHERE new_sheet_no IS NOT NULL AND new_sheet_no <> sheet_no "
        "ORDER BY parcel_id LIMIT 1",
    )[0]
    found = lookup_old(ws.con, old, sheet, number, scale)
    assert pid in {f.parcel_id for f in found}
    hit = next(f for f in found if f.parcel_id == pid)
    assert (hit.unit_code, hit.new_sheet_no, hit.parcel_no) == (new, new_sheet, number)
    name = q(ws.con, "SELECT name FROM admin_unit_old WHERE code = ?", [old])[0][0]
    if q(ws.con, "SELECT count(*) FROM admin_unit_old WHERE name = ?", [name])[0][0] == 1:
        assert pid in {f.parcel_id for f in lookup_old(ws.con, name.upper(), sheet, number)}
    serial, parcels = q(
        ws.con,
        "SELECT c.serial, list(cp.parcel_id ORDER BY cp.parcel_id) FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) WHERE c.serial IS NOT NULL "
        "GROUP BY c.serial HAVING count(DISTINCT c.certificate_id) = 1 ORDER BY 1 LIMIT 1",
    )[0]
    assert [f.parcel_id for f in lookup_serial(ws.con, serial.replace(" ", "").lower())] == parcels


def test_crosswalk_files_in_the_published_layout(ws: Workspace, tmp_path: Path) -> None:
    commune = q(
        ws.con,
        "SELECT unit_code FROM sheet_crosswalk GROUP BY 1 "
        "ORDER BY count(DISTINCT old_unit_code) DESC, 1 LIMIT 1",
    )[0][0]
    written = write_crosswalks(ws.con, tmp_path, commune)
    xlsx = next(p for p in written if p.suffix == ".xlsx")
    sheet = openpyxl.load_workbook(xlsx).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:6] == (
        "STT", "Mã xã cũ", "Tên xã cũ", "Tỷ lệ bản đồ (1/…)", "Số tờ cũ", "Số tờ mới"
    )  # fmt: skip
    body = rows[2:]
    expected = q(
        ws.con,
        "SELECT old_unit_code, scale, old_sheet_no, new_sheet_no FROM sheet_crosswalk "
        "WHERE unit_code = ? ORDER BY position, scale, old_sheet_no",
        [commune],
    )
    assert [(r[1], r[3], r[4], r[5]) for r in body] == expected
    assert len({r[1] for r in body}) > 1  # several old communes in one new one
    # an Excel form: frozen below the header and right of the old commune, filtered,
    # protected; codes stay text, sheet numbers and scales are whole numbers
    assert sheet.freeze_panes == "D3"
    assert sheet.auto_filter.ref == f"A2:I{len(rows)}"
    assert sheet.protection.sheet
    for r in body:
        assert all(type(v) is int for v in (r[0], r[3], r[4], r[5], r[6])), r
        assert isinstance(r[1], str) and isinstance(r[7], str), r
    assert [r[0] for r in body] == list(range(1, len(body) + 1))
    # the CSV keeps the published layout: the scale as "1/2000"
    text = next(p for p in written if p.suffix == ".csv").read_text("utf-8-sig")
    csv_rows = list(csv.reader(io.StringIO(text)))
    assert [r[3] for r in csv_rows[1:]] == [f"1/{e[1]}" for e in expected]


def _boundaries(path: Path, codes: list[str]) -> Path:
    """A boundary file where each given commune's polygon covers the whole province."""
    import pyarrow as pa

    everything = shapely.box(0, 0, 2_000_000, 3_000_000)
    table = pa.table({"code": codes, "geometry": shapely.to_wkb([everything] * len(codes))})
    path.unlink(missing_ok=True)
    pyogrio.write_arrow(
        table,
        path,
        driver="GeoJSON",
        geometry_name="geometry",
        geometry_type="Polygon",
        crs="EPSG:9218",
    )
    return path


def test_province_boundaries_decide_split_communes(built_workspace: Path, tmp_path: Path) -> None:
    """With a boundary file, the polygon that holds the parcel decides; a point inside two
    polygons is ambiguous."""
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        old, news = q(
            ws.con,
            "SELECT p.old_unit_code, list(DISTINCT x.new_code ORDER BY x.new_code) "
            "FROM parcel p JOIN admin_crosswalk x ON x.old_code = p.old_unit_code "
            "WHERE p.placement = 'location' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
        )[0]
        path = _boundaries(tmp_path / "communes.geojson", news[:1])
        run_pipeline(ws, ["renumber"], settings=Settings(commune_boundaries=path))
        placed = q(
            ws.con,
            "SELECT DISTINCT unit_code, placement FROM parcel WHERE old_unit_code = ? "
            "AND geom IS NOT NULL AND ST_IsValid(geom)",
            [old],
        )
        assert placed == [(news[0], "boundary")]
        # two polygons over the same ground: the location does not decide
        path = _boundaries(tmp_path / "communes.geojson", news[:2])
        run_pipeline(ws, ["renumber"], settings=Settings(commune_boundaries=path))
        assert q(
            ws.con,
            "SELECT DISTINCT placement FROM parcel WHERE old_unit_code = ? AND geom IS NOT NULL "
            "AND ST_IsValid(geom)",
            [old],
        ) == [("ambiguous",)]
        assert q(
            ws.con,
            "SELECT count(*) FROM parcel WHERE old_unit_code = ? AND new_sheet_no IS NOT NULL",
            [old],
        ) == [(0,)]


def test_summary_reports_renumbering(ws: Workspace, tmp_path: Path) -> None:
    from landclean.reports.writer import write_reports

    summary = valid_summary(write_reports(ws.con, tmp_path).summary.document())  # reads only
    assert (
        json.loads((tmp_path / "summary.json").read_text())["renumbering"] == summary["renumbering"]
    )
    assert (
        summary["renumbering"]["parcels_with_uid"]
        == q(ws.con, "SELECT count(uid) FROM parcel")[0][0]
    )


def test_a_province_user_decides_an_undecided_parcel(built_workspace: Path, tmp_path: Path) -> None:
    """A parcel between two new communes is decided by a person: it is numbered in the
    commune chosen (a correction with their name), its finding is fixed, the result is
    what a full run gives, and withdrawing the decision leaves it undecided again."""
    from landclean import api
    from landclean.campaign.worklist import field_column
    from landclean.edits import submit_edit

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        run_pipeline(ws)
        parcel, old, counted, sheet, scale = q(
            ws.con,
            "SELECT parcel_id, old_unit_code, unit_code, sheet_no, scale FROM parcel "
            "WHERE placement = 'ambiguous' AND sheet_no IS NOT NULL ORDER BY parcel_id LIMIT 1",
        )[0]
        choices = [
            r[0]
            for r in q(
                ws.con, "SELECT new_code FROM admin_crosswalk WHERE old_code = ? ORDER BY 1", [old]
            )
        ]
        chosen = next(c for c in choices if c != counted)  # not where it is counted now
        elsewhere = q(ws.con, "SELECT min(code) FROM admin_unit WHERE code NOT IN ?", [choices])[0][
            0
        ]
        with pytest.raises(LandcleanError) as refused:  # not one of its old commune's
            api.correct(ws, "parcel", parcel, "unit_code", elsewhere, by="Sở TN&MT")
        assert refused.value.key == "not_a_commune_choice"
        assert refused.value.values["choices"] == ", ".join(choices)
        # a commune may only propose it, even where identities need no approval
        proposed = submit_edit(
            ws, "parcel", parcel, "unit_code", chosen, based_on=counted, by="xa",
            approves=False, approval_required=False,
        )  # fmt: skip
        assert proposed.outcome == "proposed"
        assert field_column("parcel", "unit_code") is None  # and no worklist offers it
        assert field_column("parcel", "sheet_no") == "sheet_no"
        api.correct(ws, "parcel", parcel, "unit_code", chosen, by="Sở TN&MT", note="ranh giới")
        run_pipeline(ws)
        assert q(
            ws.con, "SELECT unit_code, placement FROM parcel WHERE parcel_id = ?", [parcel]
        ) == [(chosen, "decided")]
        offset = q(
            ws.con,
            "SELECT sheet_offset FROM sheet_crosswalk WHERE unit_code = ? AND old_unit_code = ? "
            "AND scale = ? AND old_sheet_no = ?",
            [chosen, old, scale, sheet],
        )
        assert offset, "the decided commune numbers the parcel's sheet"
        assert q(ws.con, "SELECT new_sheet_no FROM parcel WHERE parcel_id = ?", [parcel]) == [
            (sheet + offset[0][0],)
        ]
        assert q(
            ws.con,
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN' "
            "AND record_id = ?",
            [parcel],
        ) == [("fixed",)]
        assert q(ws.con, "SELECT count(*) FROM renumber_check WHERE NOT conserved") == [(0,)]
        assert q(
            ws.con,
            "SELECT actor, before, value FROM correction WHERE record_id = ? "
            "AND column_name = 'unit_code'",
            [parcel],
        ) == [("Sở TN&MT", counted, chosen)]
        incremental = _placements(ws)
    full = tmp_path / "full.duckdb"
    full.write_bytes(copy.read_bytes())
    with open_workspace(full) as ws:
        run_pipeline(ws, full=True)
        assert _placements(ws) == incremental
    with open_workspace(copy) as ws:
        api.correct(ws, "parcel", parcel, "unit_code", None, by="Sở TN&MT")
        run_pipeline(ws)
        assert q(
            ws.con, "SELECT placement, new_sheet_no FROM parcel WHERE parcel_id = ?", [parcel]
        ) == [("ambiguous", None)]
        assert q(
            ws.con,
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_COMMUNE_UNCERTAIN' "
            "AND record_id = ?",
            [parcel],
        ) == [("open",)]


def _placements(ws: Workspace) -> tuple[list, ...]:
    return (
        q(
            ws.con,
            "SELECT parcel_id, unit_code, placement, new_sheet_no, uid FROM parcel ORDER BY 1",
        ),
        q(ws.con, "SELECT * FROM sheet_crosswalk ORDER BY ALL"),
        q(ws.con, "SELECT * FROM party_commune ORDER BY ALL"),
        q(ws.con, "SELECT * FROM renumber_check ORDER BY ALL"),
    )
