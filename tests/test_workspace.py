from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from pyproj import Transformer

from landclean.errors import WorkspaceError
from landclean.workspace import Workspace, create_workspace, open_workspace
from landclean.workspace.connection import SCHEMA_VERSION


@contextmanager
def made_at_version(
    path: Path, version: int, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Workspace]:
    """A new workspace of schema ``version`` (the migrations after it left out), to fill
    before it is opened again with every migration."""
    from landclean.workspace import connection

    monkeypatch.setattr(connection, "MIGRATIONS", connection.MIGRATIONS[:version])
    with create_workspace(path) as ws:
        yield ws
    monkeypatch.undo()


def test_init_creates_schema_and_admin_units(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    with create_workspace(path) as ws:
        assert ws.scalar("SELECT max(version) FROM schema_migration") == SCHEMA_VERSION
        assert ws.scalar("SELECT count(*) FROM admin_unit") == 102
        assert ws.scalar("SELECT count(*) FROM admin_unit_old") == 286
        assert ws.scalar("SELECT count(*) FROM admin_unit WHERE name LIKE '%  %'") == 0
        # the spatial extension is loaded (offline) and PROJ knows EPSG:9218
        x = ws.scalar("SELECT ST_X(ST_Transform(ST_Point(12.7, 108.5), 'EPSG:4326', 'EPSG:9218'))")
        # on the central meridian, easting is 500 km less the datum shift from WGS84,
        # as pyproj (an independent PROJ binding) computes it
        expected, _ = Transformer.from_crs("EPSG:4326", "EPSG:9218", always_xy=True).transform(
            108.5, 12.7
        )
        assert isinstance(x, float) and abs(x - expected) < 1
        assert abs(x - 500_000) < 300


def test_init_refuses_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    create_workspace(path).close()
    with pytest.raises(WorkspaceError, match="already exists"):
        create_workspace(path)


def test_open_refuses_other_files(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        open_workspace(tmp_path / "missing.duckdb")
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(WorkspaceError, match="not a landclean workspace"):
        open_workspace(other)
    text = tmp_path / "notes.duckdb"
    text.write_text("hello")
    with pytest.raises(WorkspaceError):
        open_workspace(text)


def test_open_refuses_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    with create_workspace(path) as ws:
        ws.con.execute("INSERT INTO schema_migration VALUES (99, 'future', now()::TIMESTAMP, 'x')")
    with pytest.raises(WorkspaceError, match="newer"):
        open_workspace(path)


def test_transaction_rolls_back(tmp_path: Path) -> None:
    with create_workspace(tmp_path / "ws.duckdb") as ws:
        with pytest.raises(RuntimeError), ws.transaction() as con:
            con.execute("DELETE FROM admin_unit")
            raise RuntimeError("boom")
        assert ws.scalar("SELECT count(*) FROM admin_unit") == 102


def test_a_version_9_workspace_is_migrated_keeping_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 10 moves the renumber and standardize results into the stages' own tables:
    a workspace of version 9 keeps its placements, UIDs and standardizations."""
    path = tmp_path / "v9.duckdb"
    with made_at_version(path, 9, monkeypatch) as ws:
        ws.con.execute(
            "INSERT INTO parcel (parcel_id, old_unit_code, unit_code, placement, new_sheet_no, "
            "uid) VALUES ('T1', '24217', '24175', 'location', 12, 'w6ugq1w3kfy0')"
        )
        ws.con.execute(
            "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, "
            "column_name, before, after, rule_id) VALUES "
            "(now()::TIMESTAMP, 'landclean:standardize', 'standardize', 'party', 'C1', "
            "'full_name', 'nguyen van a', 'Nguyễn Văn A', 'STD_NAME'), "
            "(now()::TIMESTAMP, 'landclean:standardize', 'standardize', 'party', 'C1', "
            "'full_name', 'Nguyen Van A', 'Nguyễn Văn A', 'STD_NAME')"
        )
        ws.con.execute("INSERT INTO parcel_group VALUES ('T1', 2, 1)")
    with open_workspace(path) as ws:  # every migration again
        assert ws.scalar("SELECT max(version) FROM schema_migration") == SCHEMA_VERSION
        place = "SELECT parcel_id, unit_code, placement, new_sheet_no, uid FROM parcel_place"
        assert ws.con.execute(place).fetchall() == [("T1", "24175", "location", 12, "w6ugq1w3kfy0")]
        assert ws.con.execute(
            "SELECT record_id, column_name, before, after FROM standardized_value"
        ).fetchall() == [("C1", "full_name", "Nguyen Van A", "Nguyễn Văn A")]  # the newest
        # whether its land users are all matched: unknown, it has none (version 14)
        assert ws.con.execute("SELECT * FROM parcel_group").fetchall() == [("T1", 2, 1, None)]
        columns = ws.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'map_sheet'"
        ).fetchall()
        assert {c[0] for c in columns} == {"old_unit_code", "sheet_no", "scale"}


def test_a_version_24_workspace_gets_the_sums_of_its_exchange_fingerprint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Version 25 sums the fingerprint's rows by bucket: a workspace exported before it
    compares as unchanged after the migration, and a row changed since is found."""
    from landclean.exchange import fingerprint

    path = tmp_path / "v24.duckdb"
    with made_at_version(path, 24, monkeypatch) as ws:
        ws.con.execute(
            "INSERT INTO land_right (parcel_id, party_id, role) "
            "SELECT 'T' || i, 'C' || i, 'owner' FROM range(5000) t(i)"
        )
        for table in fingerprint.SOURCES:  # as an export of version 24 recorded it
            ws.con.execute(f"INSERT INTO exchange_fingerprint {fingerprint._rows(table, True)}")
    with open_workspace(path) as ws:
        assert ws.scalar("SELECT max(version) FROM schema_migration") == SCHEMA_VERSION
        assert ws.scalar("SELECT sum(n) FROM exchange_fingerprint_bucket") == 5000
        fingerprint.touched(ws.con)
        assert ws.scalar("SELECT count(*) FROM x_fp_bucket") == 0
        fingerprint.drop(ws.con)
        ws.con.execute("UPDATE land_right SET role = 'co_owner' WHERE parcel_id = 'T7'")
        fingerprint.touched(ws.con)
        assert ws.scalar("SELECT count(*) FROM x_fp_bucket") == 1
        assert ws.con.execute("SELECT parcel_id FROM x_touched").fetchall() == [("T7",)]
