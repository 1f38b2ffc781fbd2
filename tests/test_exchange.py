"""Exchange packages for the land information system (issue 21): GML that validates
against its XSD, the same records after export and import, stable UUIDs, versions and
packages of changes, a package edited in the system read back as a change set, and
packages that were tampered with refused."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from landclean import api
from landclean.exchange.catalogue import CatalogueError, ExchangeError, load_catalogue
from landclean.exchange.gml import register_macros
from landclean.exchange.package import export_packages
from landclean.settings import get_settings
from landclean.workspace import Workspace, create_workspace, open_workspace
from landclean.workspace.spatial import load_spatial
from tests.conftest import Province
from tests.test_cli import landclean

# the module's fixtures made once, on one worker
pytestmark = pytest.mark.xdist_group("exchange")

NS = "{urn:landclean:exchange:cadastre:1.0}"
GML = "{http://www.opengis.net/gml/3.2}"
# the records a package carries, by their natural columns (internal certificate ids are
# hashes of the text as typed, so certificates are compared by serial)
RECORDS = {
    "parcel": "SELECT parcel_id, unit_code, old_unit_code, sheet_no, parcel_no, scale, "
    "cert_sheet_no, cert_parcel_no, legal_area, ST_AsHEXWKB(geom), address, village, "
    "vbdlis_synced, uid, new_sheet_no, placement FROM parcel",
    "land_use": "SELECT parcel_id, seq, code, area, origin, term FROM parcel_land_use",
    "party": "SELECT party_id, party_type, full_name, birth_date, birth_year, birth_precision, "
    "sex, id_number, id_type, address FROM party",
    "land_right": "SELECT parcel_id, party_id, role, share, c.serial FROM land_right "
    "LEFT JOIN certificate c USING (certificate_id)",
    "certificate": "SELECT serial, form_version, book_entry_no, issue_date, issuer, "
    "digital_status FROM certificate",
    "certificate_parcel": "SELECT c.serial, parcel_id FROM certificate_parcel "
    "JOIN certificate c USING (certificate_id)",
    "asset": "SELECT asset_id, parcel_id, asset_type, floor_area, floors FROM asset",
    "group": "SELECT parcel_id, grp FROM parcel_group",
    "authentication": "SELECT party_id, status FROM auth_result",
}


def records(ws: Workspace) -> dict[str, set[tuple]]:  # type: ignore[type-arg]
    return {name: set(ws.con.execute(sql).fetchall()) for name, sql in RECORDS.items()}


def their_uuid(cls: str, key: str) -> str:
    """RFC 4122 name-based (MD5) UUID of 'landclean:<class>:<key>', written here apart."""
    raw = bytearray(hashlib.md5(f"landclean:{cls}:{key}".encode()).digest())
    raw[6] = raw[6] & 0x0F | 0x30
    raw[8] = raw[8] & 0x3F | 0x80
    return str(uuid.UUID(bytes=bytes(raw)))


def validate(folder: Path) -> etree._ElementTree:
    """The package's GML parsed and validated with lxml against its own XSD."""
    schema = etree.XMLSchema(etree.parse(str(folder / "landclean-diachinh.xsd")))
    (gml,) = folder.glob("*.gml")
    doc = etree.parse(str(gml))
    assert schema.validate(doc), schema.error_log.last_error
    return doc


@pytest.fixture(scope="module")
def sent(
    built_workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, list]:  # type: ignore[type-arg]
    """A copy of the shared workspace and its packages: every commune, every group."""
    root = tmp_path_factory.mktemp("exchange")
    path = root / "ws.duckdb"
    shutil.copy(built_workspace, path)
    with open_workspace(path) as ws:
        packages = export_packages(ws, root / "out", by="tester", groups=[1, 2, 3])
    return path, root / "out", packages


@pytest.fixture(scope="module")
def received(
    sent: tuple[Path, Path, list], province: Province, tmp_path_factory: pytest.TempPathFactory
) -> Path:  # type: ignore[type-arg]
    """A new workspace that imported the packages (and the registry) and ran."""
    path = tmp_path_factory.mktemp("received") / "ws.duckdb"
    with create_workspace(path) as ws:
        api.import_exchange(ws, [p.folder for p in sent[2]], build=False)
        api.import_sources(ws, [province.root / "registry"], build=False)
        api.run(ws, actor="tester")
    return path


def test_every_package_validates_and_holds_its_communes_parcels(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
) -> None:
    path, _, packages = sent
    with open_workspace(path, read_only=True) as ws:
        by_commune = dict(
            ws.con.execute("SELECT unit_code, count(*) FROM parcel GROUP BY ALL").fetchall()
        )
    assert {p.commune for p in packages} == set(by_commune)
    for package in packages[:12]:
        doc = validate(package.folder)
        codes = [e.text for e in doc.iter(f"{NS}maThua")]
        assert len(codes) == len(set(codes)) == by_commune[package.commune]
        manifest = json.loads((package.folder / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["counts"]["ThuaDat"]["objects"] == by_commune[package.commune]
        for entry in manifest["files"]:  # every file as the manifest says
            data = (package.folder / entry["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
        assert api.check_exchange(package.folder).objects["ThuaDat"] == by_commune[package.commune]


def test_the_geopackage_and_parquet_hold_what_the_gml_holds(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
) -> None:
    """Every class is a layer of the GeoPackage and a Parquet file with the GML's objects
    (uuid for uuid); the parcels' geometries are the GML's rings, under the catalogue's
    column name, with a spatial index."""
    import sqlite3

    import pyarrow.parquet as pq
    import pyogrio
    import shapely

    cat = load_catalogue(None)
    package = max(sent[2], key=lambda p: p.total("objects"))
    doc = validate(package.folder)
    (gpkg,) = package.folder.glob("*.gpkg")
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    for cls in cat.classes:
        in_gml = [e.findtext(f"{NS}uuid") for e in doc.iter(f"{NS}{cls.element}")]
        table = pq.read_table(package.folder / "parquet" / f"{cls.element}.parquet")
        assert cls.element in layers, cls.element
        layer = pyogrio.read_arrow(gpkg, layer=cls.element)[1]
        assert sorted(in_gml) == sorted(table["uuid"].to_pylist()), cls.element
        assert sorted(in_gml) == sorted(layer["uuid"].to_pylist()), cls.element
    meta, parcels = pyogrio.read_arrow(gpkg, layer="ThuaDat")
    geometries = shapely.from_wkb(parcels[meta["geometry_name"] or "wkb_geometry"].to_numpy(False))
    rings = {
        e.findtext(f"{NS}uuid"): [
            [float(v) for v in pos.text.split()] for pos in e.iterfind(f".//{GML}posList")
        ]
        for e in doc.iter(f"{NS}ThuaDat")
    }
    shapes = 0
    for uid, geom in zip(parcels["uuid"].to_pylist(), geometries, strict=True):
        polys = [] if geom is None else getattr(geom, "geoms", [geom])
        got = [
            [c for xy in r.coords for c in xy] for p in polys for r in (p.exterior, *p.interiors)
        ]
        assert got == rings[uid], uid
        shapes += geom is not None
    assert shapes > 0
    with sqlite3.connect(gpkg) as con:
        column = con.execute(
            "SELECT column_name FROM gpkg_geometry_columns WHERE table_name = 'ThuaDat'"
        ).fetchone()[0]
        assert column == next(f.element for f in cat.cls("parcel").fields if f.type == "geometry")
        assert con.execute(f"SELECT count(*) FROM rtree_ThuaDat_{column}").fetchone()[0] == shapes


def test_export_then_import_gives_the_same_records(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    received: Path,
) -> None:
    with (
        open_workspace(sent[0], read_only=True) as a,
        open_workspace(received, read_only=True) as b,
    ):
        mine, theirs = records(a), records(b)
    for name in RECORDS:
        assert mine[name], name  # the comparison can fail: there is something to compare
        assert mine[name] == theirs[name], (name, sorted(mine[name] ^ theirs[name])[:4])


def test_uuids_are_stable_and_derived_from_the_keys(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    path, _, packages = sent
    package = packages[0]
    doc = validate(package.folder)
    first = {}
    for parcel in doc.iter(f"{NS}ThuaDat"):
        code = parcel.findtext(f"{NS}maThua")
        first[code] = parcel.findtext(f"{NS}uuid")
        assert first[code] == their_uuid("parcel", code)
        assert parcel.get("{http://www.opengis.net/gml/3.2}id") == f"ThuaDat.{first[code]}"
    copy = tmp_path / "ws.duckdb"
    shutil.copy(path, copy)
    with open_workspace(copy) as ws:
        (again,) = export_packages(
            ws, tmp_path / "again", by="tester", communes=[package.commune], groups=[1, 2, 3]
        )
    assert again.total("added") == again.total("changed") == 0  # nothing changed
    second = validate(again.folder)
    for parcel in second.iter(f"{NS}ThuaDat"):
        assert parcel.findtext(f"{NS}uuid") == first[parcel.findtext(f"{NS}maThua")]
        assert parcel.findtext(f"{NS}phienBan") == "1"
    assert json.loads((again.folder / "manifest.json").read_text())["follows"] == (
        package.package_id
    )


def _commune_with_parties(ws: Workspace) -> tuple[str, str, str]:
    """A commune, one of its parcels and a land user holding it."""
    row = ws.con.execute(
        "SELECT p.unit_code, p.parcel_id, r.party_id FROM parcel p JOIN land_right r "
        "USING (parcel_id) JOIN parcel_group g USING (parcel_id) WHERE g.grp = 1 "
        "ORDER BY p.parcel_id LIMIT 1"
    ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1]), str(row[2])


def test_a_change_is_a_new_version_and_a_package_of_changes_brings_it(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    received: Path,
    tmp_path: Path,
) -> None:
    a_path, b_path = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    shutil.copy(sent[0], a_path)
    shutil.copy(received, b_path)
    with open_workspace(a_path) as a:
        commune, parcel, party = _commune_with_parties(a)
        area = a.scalar("SELECT legal_area FROM parcel WHERE parcel_id = ?", [parcel])
        api.correct(a, "parcel", parcel, "legal_area", str(float(area) + 1.5), by="tester")
        api.correct(a, "party", party, "full_name", "Lê Thị Đổi Tên", by="tester")
        api.run(a, actor="tester")
        (delta,) = export_packages(
            a, tmp_path / "out", by="tester", communes=[commune], groups=[1, 2, 3],
            since="last",
        )  # fmt: skip
        versions = a.con.execute(
            "SELECT version, end_at IS NULL FROM exchange_version "
            "WHERE class = 'parcel' AND object_key = ? ORDER BY version",
            [parcel],
        ).fetchall()
        sheets = a.scalar("SELECT count(*) FROM sheet_crosswalk WHERE unit_code = ?", [commune])
    assert versions == [(1, False), (2, True)]  # the old version ended, the new one holds
    doc = validate(delta.folder)
    changed = {
        e.findtext(f"{NS}maThua"): e.findtext(f"{NS}thayDoi") for e in doc.iter(f"{NS}ThuaDat")
    }
    assert changed[parcel] == "sua"
    assert "moi" not in changed.values()
    assert delta.counts["parcel"]["changed"] >= 1 and delta.counts["party"]["changed"] == 1
    # only the parcels concerned: far fewer than the commune's
    assert len(changed) < 20 and not list(doc.iter(f"{NS}ToBanDo")) and sheets
    # the package of changes brings the other workspace to the same records
    with open_workspace(b_path) as b:
        report = api.import_exchange(b, [delta.folder], build=False)
        assert report.removed == 0
        batches = [f.batch_id for f in report.files]
        kinds = dict(
            b.con.execute(
                "SELECT change, count(*) FROM import_change WHERE list_contains(?, batch_id) "
                "AND record_type = 'parcel_record' GROUP BY ALL",
                [batches],
            ).fetchall()
        )
        assert kinds.get("changed", 0) >= 1 and "removed" not in kinds and "added" not in kinds
        api.run(b, actor="tester")
    with open_workspace(a_path, read_only=True) as a, open_workspace(b_path, read_only=True) as b:
        assert records(a) == records(b)


def _edits(ws: Workspace) -> list[str]:
    """Changes of every kind a package of changes must see, made to the tables directly:
    a value, a land user held in two communes renamed, a co-owner removed, a parcel
    moved to another commune, a parcel removed, a parcel out of the groups sent, a
    certificate's serial, a land use added, an authentication result.  The communes
    whose packages these change (and one they leave alone)."""
    con = ws.con
    before = dict(con.execute("SELECT parcel_id, unit_code FROM parcel").fetchall())
    one = con.execute(
        "SELECT parcel_id FROM parcel WHERE legal_area IS NOT NULL ORDER BY parcel_id LIMIT 1"
    ).fetchone()
    con.execute("UPDATE parcel SET legal_area = legal_area + 3 WHERE parcel_id = ?", [one[0]])
    shared = con.execute(
        "SELECT r.party_id FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY ALL "
        "HAVING count(DISTINCT p.unit_code) > 1 ORDER BY 1 LIMIT 1"
    ).fetchone()
    if shared is None:  # the province may hold nobody in two communes: make one
        a, b = con.execute(
            "SELECT min(parcel_id), max(parcel_id) FROM parcel GROUP BY unit_code "
            "ORDER BY unit_code LIMIT 2"
        ).fetchall()
        party = con.execute("SELECT min(party_id) FROM land_right").fetchone()[0]
        for parcel in (a[0], b[0]):
            con.execute(
                "INSERT INTO land_right (parcel_id, party_id, role) VALUES (?, ?, 'owner') "
                "ON CONFLICT DO NOTHING",
                [parcel, party],
            )
        shared = (party,)
    con.execute("UPDATE party SET full_name = 'Trần Văn Đổi' WHERE party_id = ?", [shared[0]])
    co = con.execute(
        "SELECT parcel_id, max(party_id) FROM land_right GROUP BY ALL HAVING count(*) > 1 "
        "ORDER BY 1 LIMIT 1"
    ).fetchone()
    con.execute("DELETE FROM land_right WHERE parcel_id = ? AND party_id = ?", list(co))
    codes = [
        r[0] for r in con.execute("SELECT DISTINCT unit_code FROM parcel ORDER BY 1").fetchall()
    ]
    moved, gone, out = con.execute(
        "SELECT parcel_id FROM parcel JOIN parcel_group USING (parcel_id) "
        "WHERE unit_code = ? AND grp = 1 ORDER BY parcel_id DESC LIMIT 3",
        [codes[0]],
    ).fetchall()
    con.execute("UPDATE parcel SET unit_code = ? WHERE parcel_id = ?", [codes[-1], moved[0]])
    for table in ("parcel_land_use", "land_right", "asset", "certificate_parcel",
                  "parcel_group", "parcel"):  # fmt: skip
        con.execute(f"DELETE FROM {table} WHERE parcel_id = ?", [gone[0]])
    con.execute("UPDATE parcel_group SET grp = 3 WHERE parcel_id = ?", [out[0]])
    con.execute(
        "UPDATE certificate SET serial = serial || 'X' WHERE certificate_id = "
        "(SELECT max(certificate_id) FROM certificate_parcel)"
    )
    con.execute(
        "INSERT INTO parcel_land_use (parcel_id, seq, code, area) "
        "SELECT parcel_id, 9, 'CLN', 10 FROM parcel ORDER BY parcel_id DESC LIMIT 1"
    )
    con.execute(
        "UPDATE auth_result SET status = 'unmatched' WHERE party_id = "
        "(SELECT min(party_id) FROM auth_result WHERE status <> 'unmatched')"
    )
    after = dict(con.execute("SELECT parcel_id, unit_code FROM parcel").fetchall())
    changed = {c for p, c in before.items() if after.get(p) != c} | {
        c for p, c in after.items() if before.get(p) != c
    }
    communes = con.execute(
        "SELECT DISTINCT unit_code FROM parcel WHERE parcel_id IN ("
        "SELECT parcel_id FROM land_right WHERE party_id IN (SELECT party_id FROM auth_result "
        "WHERE status = 'unmatched' OR party_id = ?) OR parcel_id = ? OR parcel_id = ? "
        "UNION SELECT parcel_id FROM certificate_parcel WHERE certificate_id = "
        "(SELECT max(certificate_id) FROM certificate_parcel) "
        "UNION SELECT max(parcel_id) FROM parcel)",
        [shared[0], one[0], co[0]],
    ).fetchall()
    return sorted(changed | {c for (c,) in communes} | {codes[1]})


def _contents(packages: list) -> dict[str, set[tuple]]:  # type: ignore[type-arg]
    """Per commune: every object sent (class, uuid, version, change) and retired."""
    out = {}
    for package in packages:
        rows: set[tuple] = set()  # type: ignore[type-arg]
        for file in sorted((package.folder / "parquet").glob("*.parquet")):
            con = duckdb.connect()
            if file.stem == "DoiTuongHetHieuLuc":
                sql = f"SELECT 'retired', uuid, version, class FROM '{file}'"
            else:
                sql = f"SELECT '{file.stem}', uuid, \"phienBan\", \"thayDoi\" FROM '{file}'"
            rows |= set(con.execute(sql).fetchall())
        out[package.commune] = rows
    return out


def test_a_package_from_the_rows_touched_equals_one_comparing_everything(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    """The shortcut of a package of changes (start from the rows that differ since the
    last export) gives the packages, versions and scopes comparing every object gives."""
    a_path, b_path = tmp_path / "a.duckdb", tmp_path / "b.duckdb"
    shutil.copy(sent[0], a_path)
    with open_workspace(a_path) as ws:
        communes = _edits(ws)
    shutil.copy(a_path, b_path)
    with open_workspace(b_path) as ws:  # no fingerprint to start from: compare all
        ws.con.execute("DELETE FROM exchange_fingerprint_mark")
    made = {}
    for name, path in (("a", a_path), ("b", b_path)):
        with open_workspace(path) as ws:
            made[name] = export_packages(
                ws, tmp_path / name, by="t", communes=communes, groups=[1, 2, 3], since="last"
            )
    assert {p.compared for p in made["a"]} == {"touched"}
    assert {p.compared for p in made["b"]} == {"all"}
    touched, everything = _contents(made["a"]), _contents(made["b"])
    for code in everything:
        assert touched[code] == everything[code], (code, sorted(touched[code] ^ everything[code]))
    changes = {r[3] for rows in everything.values() for r in rows}
    assert {"added", "changed", "same"} <= changes  # the comparison can fail
    assert any(r[0] == "retired" for rows in everything.values() for r in rows)
    assert [p.counts for p in made["a"]] == [p.counts for p in made["b"]]
    assert [p.not_sent for p in made["a"]] == [p.not_sent for p in made["b"]]
    state = (
        "SELECT class, object_key, version, content_hash, end_at IS NULL FROM exchange_version",
        "SELECT unit_code, class, object_key, version, from_seq, until_seq, content_hash "
        "FROM exchange_scope",
        # the fingerprint kept row by row where rows differed equals one taken whole
        "SELECT src, kh, h, parcel_ref, party_ref, cert_ref FROM exchange_fingerprint",
        "SELECT src, b, s, n FROM exchange_fingerprint_bucket",
    )
    with open_workspace(a_path, read_only=True) as a, open_workspace(b_path, read_only=True) as b:
        for sql in state:
            assert set(a.con.execute(sql).fetchall()) == set(b.con.execute(sql).fetchall())
        # the buckets are the sums of the rows kept, by the top 16 bits of the key hash
        sums = (
            "SELECT src, (kh >> 48)::USMALLINT, sum(hash(kh, h)::HUGEINT), count(*) "
            "FROM exchange_fingerprint GROUP BY ALL"
        )
        kept = set(a.con.execute("SELECT src, b, s, n FROM exchange_fingerprint_bucket").fetchall())
        assert kept == set(a.con.execute(sums).fetchall())
        assert len(kept) > 1000  # many buckets, few of them moved by the edits
    # and the next package, made from the rows touched in both, is empty in both
    for name, path in (("a", a_path), ("b", b_path)):
        with open_workspace(path) as ws:
            again = export_packages(
                ws, tmp_path / f"{name}2", by="t", communes=communes, groups=[1, 2, 3],
                since="last",
            )  # fmt: skip
        assert {p.compared for p in again} == {"touched"}
        assert sum(p.total("objects") + p.total("retired") for p in again) == 0


def _fingerprinted(con: duckdb.DuckDBPyConnection, narrowed: bool) -> list[str]:
    """One export's fingerprint step: the parcels touched (when ``narrowed``), then the
    fingerprint recorded."""
    from landclean.exchange import fingerprint

    touched: list[str] = []
    if narrowed:
        fingerprint.touched(con)
        touched = sorted(r[0] for r in con.execute("SELECT parcel_id FROM x_touched").fetchall())
    fingerprint.record(con, narrowed, {"66001": 1}, [1])
    fingerprint.drop(con)
    return touched


def _kept(con: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple]]:  # type: ignore[type-arg]
    rows = "SELECT src, kh, h, parcel_ref, party_ref, cert_ref FROM exchange_fingerprint"
    sums = "SELECT src, b, s, n FROM exchange_fingerprint_bucket"
    return sorted(con.execute(rows).fetchall()), sorted(con.execute(sums).fetchall())


def test_two_keys_of_one_hash_are_kept_both_and_a_repeated_row_counted(tmp_path: Path) -> None:
    """Rights (a, b/c) and (a/b, c) have one key, "a/b/c", so one key hash: as two keys
    whose hashes collide.  The fingerprint kept from the rows that differed holds both,
    as one taken whole does, so the right of "a" removed later is seen; and a row
    repeated is counted, so its bucket does not look changed at every export."""
    right = "INSERT INTO land_right (parcel_id, party_id, role) VALUES (?, ?, 'owner')"
    result = (
        "INSERT INTO auth_result (party_id, status, method, candidates, input_hash, run_id) "
        "VALUES ('u1', 'matched', 'exact', 0, 0, 1)"
    )
    with create_workspace(tmp_path / "a.duckdb") as ws:
        con = ws.con
        con.execute(right, ["a", "b/c"])
        con.execute(result)
        _fingerprinted(con, narrowed=False)
        con.execute(right, ["a/b", "c"])
        assert _fingerprinted(con, narrowed=True) == ["a", "a/b"]
        narrowed = _kept(con)
        _fingerprinted(con, narrowed=False)
        assert narrowed == _kept(con)  # as taken whole
        assert sum(1 for r in narrowed[0] if r[0] == "land_right") == 2
        con.execute("DELETE FROM land_right WHERE parcel_id = 'a'")
        assert _fingerprinted(con, narrowed=True) == ["a", "a/b"]  # both rows of the hash
        assert _fingerprinted(con, narrowed=True) == []  # and nothing after
        con.execute(result)  # the same row once more
        _fingerprinted(con, narrowed=True)
        moved = _kept(con)
        _fingerprinted(con, narrowed=False)
        assert moved == _kept(con)
        from landclean.exchange import fingerprint

        fingerprint.touched(con)
        assert con.execute("SELECT count(*) FROM x_fp_bucket").fetchone() == (0,)


def test_every_table_objects_are_made_from_is_fingerprinted() -> None:
    """A table the objects are read from that the fingerprint leaves out would make a
    package of changes miss what changed in it."""
    from landclean.exchange.fingerprint import SOURCES
    from landclean.exchange.objects import OBJECTS, SCOPE

    named = set()
    for sql in [SCOPE, *OBJECTS.values()]:
        named |= set(re.findall(r"(?:FROM|JOIN)\s+([a-z_]+)", sql))
    workspace = {t for t in named if not t.startswith("x_")}
    compared_whole = {"sheet_crosswalk", "admin_unit", "finding"}  # finding: not-sent list
    assert {"parcel", "land_right", "party"} <= workspace  # the check can fail
    assert workspace - compared_whole <= set(SOURCES), workspace - set(SOURCES)


def _retired(folder: Path) -> set[tuple[str, str]]:
    doc = validate(folder)
    return {(e.get("lop"), e.get("uuid")) for e in doc.iter(f"{NS}DoiTuongHetHieuLuc")}


def test_what_leaves_is_retired_and_a_package_since_an_older_one_has_it_all(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    """A parcel the land system no longer has (removed by a newer export) is retired with
    its land uses and rights; a package since the first one holds that and what changed
    after, while a package since the last one holds only the latter."""
    path = tmp_path / "ws.duckdb"
    shutil.copy(sent[0], path)
    with open_workspace(path) as ws:
        commune, gone, _ = _commune_with_parties(ws)
        first = next(p for p in sent[2] if p.commune == commune)
        uses = ws.con.execute(
            "SELECT seq FROM parcel_land_use WHERE parcel_id = ?", [gone]
        ).fetchall()
        holders = ws.con.execute(
            "SELECT party_id FROM land_right WHERE parcel_id = ?", [gone]
        ).fetchall()
        for table in ("parcel_land_use", "land_right", "asset", "certificate_parcel",
                      "parcel_group", "parcel"):  # fmt: skip
            ws.con.execute(f"DELETE FROM {table} WHERE parcel_id = ?", [gone])
        (removal,) = export_packages(
            ws, tmp_path / "a", by="t", communes=[commune], groups=[1, 2, 3], since="last"
        )
        ended = ws.scalar(
            "SELECT end_at IS NOT NULL FROM exchange_version WHERE class = 'parcel' "
            "AND object_key = ?",
            [gone],
        )
        other = ws.scalar(
            "SELECT min(parcel_id) FROM parcel JOIN parcel_group USING (parcel_id) "
            "WHERE unit_code = ? AND legal_area IS NOT NULL",
            [commune],
        )
        area = ws.scalar("SELECT legal_area FROM parcel WHERE parcel_id = ?", [other])
        api.correct(ws, "parcel", str(other), "legal_area", str(float(area) + 2), by="t")
        api.run(ws, actor="t")
        (last,) = export_packages(
            ws, tmp_path / "b", by="t", communes=[commune], groups=[1, 2, 3], since="last"
        )
        (both,) = export_packages(
            ws, tmp_path / "c", by="t", communes=[commune], groups=[1, 2, 3],
            since=str(first.folder),
        )  # fmt: skip
    expected = {("ThuaDat", their_uuid("parcel", gone))}
    expected |= {("MucDichSuDung", their_uuid("land_use", f"{gone}/{s}")) for (s,) in uses}
    expected |= {("QuyenSuDung", their_uuid("land_right", f"{gone}/{p}")) for (p,) in holders}
    assert expected <= _retired(removal.folder) and ended
    assert removal.total("added") == 0 and holders
    assert not _retired(last.folder)
    assert expected <= _retired(both.folder)

    def codes(folder: Path) -> set[str | None]:
        return {e.findtext(f"{NS}maThua") for e in validate(folder).iter(f"{NS}ThuaDat")}

    assert str(other) in codes(last.folder) and str(other) in codes(both.folder)
    assert gone not in codes(both.folder)


def test_a_package_edited_in_the_system_comes_back_as_a_change_set(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    received: Path,
    tmp_path: Path,
) -> None:
    """The land system changed one parcel's area and retired another parcel: the
    package read back changes the one, removes the other, and leaves the rest."""
    package = sent[2][0]
    (gml,) = package.folder.glob("*.gml")
    doc = etree.parse(str(gml))
    root = doc.getroot()
    parcels = list(root.iter(f"{NS}ThuaDat"))
    kept, gone = parcels[0], parcels[1]
    kept.find(f"{NS}dienTich").text = "1234.567"  # a value read as 1234,567 m²
    gone_code, gone_uuid = gone.findtext(f"{NS}maThua"), gone.findtext(f"{NS}uuid")
    for element in list(root):  # the retired parcel's objects go; a retirement comes
        refs = {e.text for e in element}
        if element is gone or gone_uuid in refs:
            root.remove(element)
    retired = etree.SubElement(root, f"{NS}DoiTuongHetHieuLuc")
    retired.attrib.update(
        {"lop": "ThuaDat", "uuid": gone_uuid, "phienBan": "1", "ketThuc": "2026-12-01T00:00:00"}
    )
    edited = tmp_path / "edited.gml"
    doc.write(str(edited), xml_declaration=True, encoding="UTF-8")
    copy = tmp_path / "b.duckdb"
    shutil.copy(received, copy)
    with open_workspace(copy) as ws:
        before = ws.scalar("SELECT count(*) FROM parcel")
        report = api.import_sources(ws, [edited])
        assert report.removed == 2  # its record and its geometry
        code = kept.findtext(f"{NS}maThua")
        assert ws.scalar("SELECT legal_area FROM parcel WHERE parcel_id = ?", [code]) == 1234.567
        assert not ws.scalar("SELECT count(*) FROM parcel WHERE parcel_id = ?", [gone_code])
        assert ws.scalar("SELECT count(*) FROM parcel") == before - 1
        fields = ws.scalar(
            "SELECT fields FROM import_change WHERE record_key = ? AND change = 'changed' "
            "AND record_type = 'parcel_record'",
            [code],
        )
        assert fields == ["legal_area"]


def test_parcels_not_sent_are_listed_with_why(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    copy = tmp_path / "ws.duckdb"
    shutil.copy(sent[0], copy)
    with open_workspace(copy) as ws:
        commune = ws.scalar(
            "SELECT unit_code FROM parcel JOIN parcel_group USING (parcel_id) WHERE grp > 1 "
            "GROUP BY ALL ORDER BY count(*) DESC LIMIT 1"
        )
        withheld = dict(
            ws.con.execute(
                "SELECT parcel_id, grp FROM parcel JOIN parcel_group USING (parcel_id) "
                "WHERE unit_code = ? AND grp > 1",
                [commune],
            ).fetchall()
        )
        (package,) = export_packages(ws, tmp_path / "out", by="t", communes=[str(commune)])
    with (package.folder / "thua_khong_gui.csv").open(encoding="utf-8-sig") as f:
        listed = {r["Mã thửa"]: r for r in csv.DictReader(f)}
    assert {k: int(r["Nhóm"]) for k, r in listed.items()} == withheld
    assert all(r["Lý do"].startswith(f"nhóm {r['Nhóm']}") for r in listed.values())
    sent_codes = {e.text for e in validate(package.folder).iter(f"{NS}maThua")}
    assert not sent_codes & set(withheld)
    # withheld since the last package is not retired: the receiver keeps what it has
    assert package.total("retired") == 0


_XML_CON: list[duckdb.DuckDBPyConnection] = []


def _xml_con() -> duckdb.DuckDBPyConnection:
    if not _XML_CON:
        con = duckdb.connect()
        load_spatial(con)
        register_macros(con)
        _XML_CON.append(con)
    return _XML_CON[0]


@settings(max_examples=80, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda t: "\x00" not in t))
def test_any_text_survives_xml(text: str) -> None:
    """lc_xml escapes what XML needs: a parser reads the text back, less the control
    characters XML 1.0 cannot hold, a carriage return kept.  (DuckDB text holds no NUL.)"""
    (escaped,) = _xml_con().execute("SELECT lc_xml(?)", [text]).fetchone()  # type: ignore[misc]
    parsed = etree.fromstring(f"<a>{escaped}</a>".encode()).text or ""
    allowed = "".join(
        c for c in text if c in "\t\n\r" or (ord(c) >= 0x20 and c not in "\ufffe\uffff")
    )
    assert parsed == allowed


_COORD = st.integers(-(10**10), 10**10).map(lambda mm: mm / 1000)  # metres to the millimetre


@st.composite
def _polygons(draw: st.DrawFn) -> str:
    """WKT of a polygon or a multipolygon, some parts with holes (rings need not be
    valid: the GML carries the rings as they are)."""

    def ring() -> str:
        points = draw(st.lists(st.tuples(_COORD, _COORD), min_size=3, max_size=6))
        return "(" + ", ".join(f"{x!r} {y!r}" for x, y in [*points, points[0]]) + ")"

    def polygon() -> str:
        return "(" + ", ".join(ring() for _ in range(draw(st.integers(1, 3)))) + ")"

    if draw(st.booleans()):
        return "POLYGON " + polygon()
    return "MULTIPOLYGON (" + ", ".join(polygon() for _ in range(draw(st.integers(1, 3)))) + ")"


@settings(max_examples=150, deadline=None)
@given(_polygons())
def test_geometries_become_the_same_gml_either_way(wkt: str) -> None:
    """The WKT's separators replaced (polygons without holes) or part by part give the
    same GML, and its rings are the geometry's, in order, coordinate for coordinate."""
    import shapely

    from landclean.exchange.gml import BODY

    con = _xml_con()
    fast, parts = con.execute(  # type: ignore[misc]
        f"SELECT lc_gml_surfaces({BODY}, g), lc_gml_parts(g) FROM (SELECT g, "
        f"lc_gml_body(ST_AsText(g)) AS {BODY} FROM (SELECT ST_GeomFromText(?) AS g))",
        [wkt],
    ).fetchone()
    assert fast == parts
    doc = etree.fromstring(f'<m xmlns:gml="http://www.opengis.net/gml/3.2">{fast}</m>'.encode())
    ns = {"gml": "http://www.opengis.net/gml/3.2"}
    got = [
        [[float(v) for v in pos.text.split()] for pos in poly.iterfind(".//gml:posList", ns)]
        for poly in doc.iterfind("gml:surfaceMember/gml:Polygon", ns)
    ]
    geom = shapely.from_wkt(wkt)
    polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    want = [[[c for xy in r.coords for c in xy] for r in (p.exterior, *p.interiors)] for p in polys]
    assert got == want


def test_a_tampered_package_is_refused(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    folder = tmp_path / "p"
    shutil.copytree(sent[2][1].folder, folder)
    (gml,) = folder.glob("*.gml")
    data = gml.read_bytes()
    gml.write_bytes(data.replace(b"<dc:tyLeBanDo>", b"<dc:tyLeBanDo>9", 1))
    with pytest.raises(ExchangeError, match="altered"):
        api.check_exchange(folder)
    result = landclean("exchange", "check", str(folder))
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    # the same edit read directly: the XSD still holds (a number), so it imports; a
    # value the XSD refuses is named with its line
    gml.write_bytes(data.replace(b"<dc:tyLeBanDo>", b"<dc:tyLeBanDo>x", 1))
    line = data[: data.index(b"<dc:tyLeBanDo>")].count(b"\n") + 1
    with (
        create_workspace(tmp_path / "ws.duckdb") as ws,
        pytest.raises(ExchangeError, match=f"line {line}"),
    ):
        api.import_sources(ws, [gml])


def test_entities_are_not_expanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("BI-MAT", encoding="utf-8")
    gml = tmp_path / "x.gml"
    gml.write_text(
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY s SYSTEM "file://{secret}">]>'
        '<dc:GoiDuLieuDiaChinh xmlns:dc="urn:landclean:exchange:cadastre:1.0">&s;'
        "</dc:GoiDuLieuDiaChinh>",
        encoding="utf-8",
    )
    with create_workspace(tmp_path / "ws.duckdb") as ws, pytest.raises(ExchangeError) as err:
        api.import_sources(ws, [gml])
    assert "BI-MAT" not in str(err.value)
    with open_workspace(tmp_path / "ws.duckdb", read_only=True) as ws:
        assert not ws.scalar("SELECT count(*) FROM raw_parcel_record")


def test_a_province_catalogue_renames_what_is_written(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cat = json.loads(
        (Path(api.__file__).parent / "exchange" / "catalogue.json").read_text(encoding="utf-8")
    )
    cat["namespace"] = "urn:vn:tinh:daklak:vbdlis:2"
    parcel = next(c for c in cat["classes"] if c["name"] == "parcel")
    parcel["element"] = "Parcel"
    parcel["fields"][0]["element"] = "parcelCode"
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(cat, ensure_ascii=False), encoding="utf-8")
    monkeypatch.setenv("LANDCLEAN_EXCHANGE_CATALOGUE", str(path))
    get_settings.cache_clear()
    copy = tmp_path / "ws.duckdb"
    shutil.copy(sent[0], copy)
    try:
        with open_workspace(copy) as ws:
            commune = sent[2][0].commune
            (package,) = api.export_exchange(
                ws, tmp_path / "out", communes=[commune], groups=[1, 2, 3]
            )
            mine = set(
                ws.con.execute(
                    "SELECT parcel_id, legal_area FROM parcel WHERE unit_code = ?", [commune]
                ).fetchall()
            )
        doc = validate(package.folder)
        ns = "{urn:vn:tinh:daklak:vbdlis:2}"
        assert not list(doc.iter(f"{NS}maThua"))  # the province's names, not ours
        assert {e.text for e in doc.iter(f"{ns}parcelCode")} == {m[0] for m in mine}
        with create_workspace(tmp_path / "back.duckdb") as ws:
            api.import_exchange(ws, [package.folder])
            back = set(ws.con.execute("SELECT parcel_id, legal_area FROM parcel").fetchall())
        assert back == mine
    finally:
        monkeypatch.delenv("LANDCLEAN_EXCHANGE_CATALOGUE")
        get_settings.cache_clear()
    cat["classes"][0]["fields"][0]["column"] = "no_such_column"
    path.write_text(json.dumps(cat), encoding="utf-8")
    with pytest.raises(CatalogueError, match="no_such_column"):
        load_catalogue(path)


@pytest.mark.parametrize(  # a GeoPackage layer written beside; the list after it
    "part", ["geopackage.add_layer", "package._write_not_sent"]
)
def test_a_failed_export_leaves_nothing(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    part: str,
) -> None:
    import importlib

    copy = tmp_path / "ws.duckdb"
    shutil.copy(sent[0], copy)

    def broken(*args: object) -> None:
        raise OSError("disk full")

    module, name = part.split(".")
    monkeypatch.setattr(importlib.import_module(f"landclean.exchange.{module}"), name, broken)
    with open_workspace(copy) as ws:
        before = [
            ws.scalar(f"SELECT count(*) FROM {t}")
            for t in ("exchange_package", "exchange_version", "exchange_scope")
        ]
        with pytest.raises(OSError):
            export_packages(ws, tmp_path / "out", by="t", communes=[sent[2][0].commune])
        after = [
            ws.scalar(f"SELECT count(*) FROM {t}")
            for t in ("exchange_package", "exchange_version", "exchange_scope")
        ]
    assert before == after
    assert not list((tmp_path / "out").iterdir())


def test_the_command_line_exports_checks_and_imports(
    sent: tuple[Path, Path, list],  # type: ignore[type-arg]
    tmp_path: Path,
) -> None:
    copy = tmp_path / "ws.duckdb"
    shutil.copy(sent[0], copy)
    commune = sent[2][0].commune
    out = tmp_path / "out"
    result = landclean("exchange", "export", str(copy), "--out", str(out), "--commune", commune)
    assert result.returncode == 0, result.stderr
    (folder,) = out.iterdir()
    assert str(folder) in result.stdout
    assert landclean("exchange", "check", str(folder)).returncode == 0
    bad = landclean("exchange", "export", str(copy), "--out", str(out), "--groups", "4")
    assert bad.returncode == 1 and "4" in bad.stderr
    with open_workspace(copy) as ws:
        register_macros(ws.con)
        assert ws.scalar("SELECT lc_xuuid('parcel', 'T1')") == their_uuid("parcel", "T1")
    fresh = tmp_path / "fresh.duckdb"
    assert landclean("init", str(fresh)).returncode == 0
    result = landclean("exchange", "import", str(fresh), str(folder))
    assert result.returncode == 0, result.stderr
    with open_workspace(fresh, read_only=True) as ws:
        batches = ws.scalar("SELECT count(*) FROM import_batch")
    again = landclean("exchange", "import", str(fresh), str(folder))  # the same: nothing
    assert again.returncode == 0, again.stderr
    with open_workspace(fresh, read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM import_batch") == batches
    # the land system's own export: a bare GML file, no manifest, held to the same XSD
    (gml,) = folder.glob("*.gml")
    system = tmp_path / "he_thong.gml"
    shutil.copy(gml, system)
    other = tmp_path / "other.duckdb"
    assert landclean("init", str(other)).returncode == 0
    result = landclean("exchange", "import", str(other), str(system), "--no-build")
    assert result.returncode == 0, result.stderr
    with open_workspace(other, read_only=True) as ws:
        held = ws.scalar("SELECT count(DISTINCT record_key) FROM raw_parcel_record")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert held == manifest["counts"]["ThuaDat"]["objects"] > 0
    broken = tmp_path / "hong.gml"
    broken.write_bytes(gml.read_bytes().replace(b"<dc:maThua>", b"<dc:maThuaX>", 1))
    result = landclean("exchange", "import", str(other), str(broken))
    assert result.returncode == 1 and "hong.gml" in result.stderr
