"""Write the generated province the way the field has it, plus truth/ (Parquet)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyogrio
import shapely

from landclean.ingest.profiles import load_profile
from landclean.synth.config import GeneratorConfig
from landclean.synth.geometry import CRS
from landclean.synth.progress import HEADERS as PROGRESS_HEADERS
from landclean.synth.progress import TARGET_HEADERS
from landclean.synth.province import Province
from landclean.vn import admin_units as au
from landclean.vn.legacy_encodings import encode_tcvn3, encode_vni
from landclean.vn.text import compact_key
from landclean.xlsx import write_xlsx

# Each parcel's right holders in order (k = 1, 2 …; the wife after her husband).
OWNERS = """
WITH owners AS (
    SELECT r.parcel_id, r.share, p.*,
           row_number() OVER (PARTITION BY r.parcel_id ORDER BY p.role = 'wife', p.party_id) AS k
    FROM rights r JOIN parties p USING (party_id)
),
"""
FORM_SQL = (
    OWNERS
    + """
lu AS (
    SELECT parcel_id,
           max(CASE WHEN seq = 1 THEN code_recorded END) AS lu1_code,
           max(CASE WHEN seq = 1 THEN area END) AS lu1_area,
           max(CASE WHEN seq = 1 THEN origin END) AS lu1_origin,
           max(CASE WHEN seq = 1 THEN term END) AS lu1_term,
           max(CASE WHEN seq = 2 THEN code_recorded END) AS lu2_code,
           max(CASE WHEN seq = 2 THEN area END) AS lu2_area,
           max(CASE WHEN seq = 2 THEN origin END) AS lu2_origin,
           max(CASE WHEN seq = 2 THEN term END) AS lu2_term
    FROM land_use GROUP BY parcel_id
)
SELECT
    row_number() OVER (PARTITION BY o.district_code ORDER BY pa.parcel_id) AS stt,
    pa.old_unit_code AS commune_code, o.name AS commune_name,
    c.serial_recorded AS cert_serial, strftime(c.issue_date, '%d/%m/%Y') AS cert_issue_date,
    c.book_entry_no AS cert_book_no, c.issuer AS cert_issuer, c.digital_status AS cert_digital,
    w.party_id AS owner_code,
    CASE w.party_type WHEN 'household' THEN 'Hộ gia đình' WHEN 'organization' THEN 'Tổ chức'
         ELSE CASE WHEN s.party_id IS NOT NULL THEN 'Vợ chồng' ELSE 'Cá nhân' END END AS owner_type,
    w.name AS owner_name, w.birth AS owner_birth, w.sex AS owner_sex, w.id_number AS owner_id,
    w.address AS owner_address, w.share AS owner_share,
    s.party_id AS spouse_code, s.name AS spouse_name, s.birth AS spouse_birth, s.sex AS spouse_sex,
    s.id_number AS spouse_id, s.share AS spouse_share,
    w.name AS user_name, w.id_number AS user_id,
    CASE WHEN w.party_id IS NULL THEN NULL ELSE w.address || ', tỉnh Đắk Lắk' END AS user_address,
    NULL AS change_reason,
    pa.parcel_id AS parcel_code,
    CASE WHEN c.certificate_id IS NULL THEN NULL ELSE pa.sheet_no END AS cert_sheet,
    CASE WHEN c.certificate_id IS NULL THEN NULL ELSE pa.parcel_no END AS cert_parcel,
    CASE WHEN pa.sheet_missing THEN NULL ELSE pa.sheet_no END AS map_sheet,
    pa.parcel_no AS map_parcel, '1/' || pa.scale AS map_scale,
    pa.village || ', ' || o.name AS parcel_address, pa.village,
    pa.legal_area,
    lu.lu1_code, lu.lu1_area, lu.lu1_origin, lu.lu1_term,
    lu.lu2_code, lu.lu2_area, lu.lu2_origin, lu.lu2_term,
    NULL AS lu3_code, NULL AS lu3_area,
    a.asset_type, a.floor_area AS asset_area, a.floors AS asset_floors,
    CASE WHEN pa.vbdlis_synced THEN 'Đã đồng bộ' ELSE 'Chưa đồng bộ' END AS vbdlis,
    o.district_name
FROM parcels pa
JOIN olds o ON o.code = pa.old_unit_code
LEFT JOIN owners w ON w.parcel_id = pa.parcel_id AND w.k = 1
LEFT JOIN owners s ON s.parcel_id = pa.parcel_id AND s.k = 2
LEFT JOIN certificates c ON c.parcel_id = pa.parcel_id
LEFT JOIN lu ON lu.parcel_id = pa.parcel_id
LEFT JOIN assets a ON a.parcel_id = pa.parcel_id
ORDER BY o.district_code, pa.parcel_id
"""
)


# ... and each parcel's land uses in one cell ("ONT" or "ONT 100.0; CLN 250.0").
OWNERS_AND_LAND_USE = (
    OWNERS
    + """
lu AS (
    SELECT parcel_id,
           CASE WHEN count(*) = 1 THEN min(code_recorded)
                ELSE string_agg(code_recorded || ' ' || CAST(area AS VARCHAR), '; ' ORDER BY seq)
           END AS land_use
    FROM land_use WHERE code_recorded <> ''  -- a land use missing in the records: no cell
    GROUP BY parcel_id
)
"""
)

# A land-system export: one row per land user, the parcel's attributes on each row,
# parcels keyed by old commune + scale + sheet + parcel number (no parcel code).
OWNER_ROWS_SQL = (
    OWNERS_AND_LAND_USE
    + """
SELECT pa.old_unit_code AS maXa, pa.scale AS tyLeBanDo, pa.sheet_no AS soHieuToBanDo,
       pa.parcel_no AS soThuTuThua, pa.legal_area AS dienTichPhapLy, lu.land_use AS mucDichSuDung,
       pa.village || ', ' || o.name AS diaChi,
       w.party_id AS maChuSuDung,
       CASE w.party_type WHEN 'household' THEN 'Hộ gia đình' WHEN 'organization' THEN 'Tổ chức'
            ELSE 'Cá nhân' END AS loaiDoiTuong,
       w.name AS tenChuSuDung, w.birth AS namSinh, w.sex AS gioiTinh,
       w.id_number AS soGiayTo, w.address AS diaChiChuSuDung, w.share AS tyLeSoHuu,
       c.serial_recorded AS soPhatHanh, c.book_entry_no AS soVaoSo,
       strftime(c.issue_date, '%d/%m/%Y') AS ngayCap,
       a.asset_type AS loaiTaiSan, a.floor_area AS dienTichSan, a.floors AS soTang,
       o.district_name
FROM parcels pa
JOIN olds o ON o.code = pa.old_unit_code
LEFT JOIN owners w ON w.parcel_id = pa.parcel_id
LEFT JOIN certificates c ON c.parcel_id = pa.parcel_id
LEFT JOIN lu ON lu.parcel_id = pa.parcel_id
LEFT JOIN assets a ON a.parcel_id = pa.parcel_id
ORDER BY o.district_code, pa.parcel_id, w.k
"""
)


# A commune office's list: one row per parcel, the household head and the spouse side
# by side with a birth year only, no codes but the old commune's.
HOUSEHOLD_SQL = (
    OWNERS_AND_LAND_USE
    + """
SELECT pa.old_unit_code AS commune_code, o.name AS commune_name, '1:' || pa.scale AS map_scale,
       pa.sheet_no AS map_sheet, pa.parcel_no AS map_parcel, pa.legal_area,
       lu.land_use AS lu1_code, pa.village || ', ' || o.name AS parcel_address,
       w.name AS owner_name, right(w.birth, 4) AS owner_birth, w.sex AS owner_sex,
       w.id_number AS owner_id, s.name AS spouse_name, right(s.birth, 4) AS spouse_birth,
       s.sex AS spouse_sex, s.id_number AS spouse_id, o.district_name
FROM parcels pa
JOIN olds o ON o.code = pa.old_unit_code
LEFT JOIN owners w ON w.parcel_id = pa.parcel_id AND w.k = 1
LEFT JOIN owners s ON s.parcel_id = pa.parcel_id AND s.k = 2
LEFT JOIN lu ON lu.parcel_id = pa.parcel_id
ORDER BY o.district_code, pa.parcel_id
"""
)


def _slug(name: str) -> str:
    return compact_key(name)


def write_outputs(province: Province, config: GeneratorConfig, out: Path) -> None:
    """Every source file and truth/ under ``out``, plus manifest.json."""
    for sub in ("map", "attributes", "registry", "campaign", "truth"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    olds = pa.table(
        {
            "code": [u.code for u in au.old_units()],
            "name": [u.name for u in au.old_units()],
            "district_code": [u.district_code for u in au.old_units()],
            "district_name": [u.district_name for u in au.old_units()],
        }
    )
    _write_maps(province, olds, out / "map", with_code=config.layout == "field_form")
    if config.layout == "owner_rows":
        _write_owner_rows(province, olds, out / "attributes", config.tcvn3_district)
    elif config.layout == "household_lists":
        _write_household_lists(province, olds, out / "attributes")
    else:
        _write_forms(province, olds, out / "attributes", config.tcvn3_district)
    _write_registry(province, out / "registry", vietnamese=config.layout == "owner_rows")
    pacsv.write_csv(province.communes, out / "campaign" / "communes.csv")
    if province.progress is not None:
        _write_progress(province.progress, out / "campaign" / "progress")
    if province.targets is not None:
        _write_targets(province.targets, out / "campaign" / "chi_tieu.xlsx")
    for name in (
        "parcels",
        "land_use",
        "persons",
        "parties",
        "rights",
        "certificates",
        "assets",
        "defects",
        "communes",
        "progress",
        "targets",
    ):
        if getattr(province, name) is not None:
            pq.write_table(getattr(province, name), out / "truth" / f"{name}.parquet")
    files = sorted(p for p in out.rglob("*") if p.is_file())
    manifest = {
        "generator": "landclean synth",
        "config": config.model_dump(),
        "counts": province.stats,
        "files": {
            str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files
        },
    }
    (out / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))


def _write_maps(province: Province, olds: pa.Table, folder: Path, with_code: bool) -> None:
    """One GeoPackage per old district, layer ``thua_dat`` (parcels with a geometry);
    ``with_code``: with the land system's parcel code (else keyed by commune, scale,
    sheet and parcel number only).  A parcel whose sheet is missing lacks it here too."""
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2025-09-18T08:00:00Z"})
    p = province.parcels
    district_of = dict(
        zip(olds["code"].to_pylist(), olds["district_name"].to_pylist(), strict=True)
    )
    district = np.array([district_of[c] for c in p["old_unit_code"].to_pylist()])
    has = p["has_geometry"].to_numpy(zero_copy_only=False)
    # a parcel whose land use is missing in the records lacks it in the map too
    lu = province.land_use
    blank = lu["parcel_id"].filter(pc.equal(lu["code_recorded"], ""))
    no_land_use = pc.is_in(p["parcel_id"], value_set=blank)
    area = np.round(shapely.area(province.geometry), 1)
    for name in sorted(set(district)):
        mask = (district == name) & has
        if not mask.any():
            continue
        sel = pa.array(mask)
        sheet = pc.if_else(p["sheet_missing"], pa.scalar(None, pa.int64()), p["sheet_no"])
        land_use = pc.if_else(no_land_use, pa.scalar(None, pa.string()), p["land_use_recorded"])
        table = pa.table(
            {
                "MaThua": p["parcel_id"].filter(sel),
                "MaXa": p["old_unit_code"].filter(sel),
                "SoTo": sheet.filter(sel),
                "SoThua": p["parcel_no"].filter(sel),
                "TyLe": p["scale"].filter(sel),
                "DienTich": pa.array(area[mask]),
                "KyHieuMDSD": land_use.filter(sel),
                "geometry": pa.array(shapely.to_wkb(province.geometry[mask]), pa.binary()),
            }
        )
        if not with_code:
            table = table.drop_columns(["MaThua"])
        pyogrio.write_arrow(
            table,
            folder / f"{_slug(name)}.gpkg",
            layer="thua_dat",
            driver="GPKG",
            geometry_name="geometry",
            geometry_type="Polygon",
            crs=CRS,
        )


def _rows_by_district(province: Province, olds: pa.Table, sql: str) -> dict[str, pa.Table]:
    """The attribute rows ``sql`` makes of the province, per old district (sorted)."""
    con = duckdb.connect()
    for name in ("parcels", "rights", "parties", "certificates", "land_use", "assets"):
        con.register(name, getattr(province, name))
    con.register("olds", olds)
    rows = con.execute(sql).fetch_arrow_table()
    district = rows["district_name"].to_numpy(zero_copy_only=False)
    return {name: rows.filter(pa.array(district == name)) for name in sorted(set(district))}


def _write_forms(province: Province, olds: pa.Table, folder: Path, tcvn3_district: str) -> None:
    """The 49-column field form per old district (.xlsx); one district as TCVN3 CSV."""
    profile = load_profile("field_form")
    for name, rows in _rows_by_district(province, olds, FORM_SQL).items():
        part = rows.select(list(profile.fields))
        if name == tcvn3_district:
            _write_tcvn3_csv(part, profile.headers, folder / f"{_slug(name)}_tcvn3.csv")
        else:
            _write_xlsx(
                part, profile.headers, profile.title, profile.sheet, folder / f"{_slug(name)}.xlsx"
            )


def _write_owner_rows(province: Province, olds: pa.Table, folder: Path, vni_district: str) -> None:
    """The land system's export, one row per land user, per old district (.xlsx); one
    district as a VNI-encoded ";" CSV, as an old office's tools wrote it."""
    for name, rows in _rows_by_district(province, olds, OWNER_ROWS_SQL).items():
        part = rows.drop_columns(["district_name"])
        if name == vni_district:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(part, sink, pacsv.WriteOptions(delimiter=";"))
            text = sink.getvalue().to_pybytes().decode("utf-8")
            (folder / f"{_slug(name)}_vni.csv").write_bytes(encode_vni(text))
        else:
            write_xlsx(part, folder / f"{_slug(name)}.xlsx", "ThuaDat", part.column_names)


def _write_household_lists(province: Province, olds: pa.Table, folder: Path) -> None:
    """A commune office's list per old district (.xlsx): a title line, then the header."""
    profile = load_profile("household_list")
    for name, rows in _rows_by_district(province, olds, HOUSEHOLD_SQL).items():
        part = rows.select(list(profile.fields))
        title = f"DANH SÁCH HỘ GIA ĐÌNH, CÁ NHÂN SỬ DỤNG ĐẤT - {name.upper()}"
        write_xlsx(part, folder / f"{_slug(name)}.xlsx", "Danh sách", list(profile.headers), title)


def _write_xlsx(
    table: pa.Table, headers: tuple[str, ...], title: str, sheet: str, path: Path
) -> None:
    write_xlsx(table, path, sheet, list(headers), title)


def _write_tcvn3_csv(table: pa.Table, headers: tuple[str, ...], path: Path) -> None:
    """A CSV in TCVN3, as old district offices exported it (text encoded with our table)."""
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table.rename_columns(list(headers)), sink)
    text = sink.getvalue().to_pybytes().decode("utf-8")
    path.write_bytes(encode_tcvn3(text))


def _write_progress(progress: pa.Table, folder: Path) -> None:
    """One workbook per report date, as the communes' weekly reports are collected."""
    folder.mkdir(parents=True, exist_ok=True)
    dates = sorted(set(progress["report_date"].to_pylist()))
    text = progress.set_column(
        progress.column_names.index("report_date"),
        "report_date",
        pc.strftime(pc.cast(progress["report_date"], pa.timestamp("s")), "%d/%m/%Y"),
    )
    for name in ("committee_date", "working_group_date"):
        text = text.set_column(
            text.column_names.index(name),
            name,
            pc.strftime(pc.cast(text[name], pa.timestamp("s")), "%d/%m/%Y"),
        )
    for day in dates:
        part = text.filter(pc.equal(progress["report_date"], day))
        write_xlsx(
            part,
            folder / f"tien_do_{day:%Y-%m-%d}.xlsx",
            "Tiến độ",
            [PROGRESS_HEADERS[c] for c in part.column_names],
        )


def _write_targets(targets: pa.Table, path: Path) -> None:
    """The province's targets sheet: share as typed, due date DD/MM/YYYY."""
    sheet = pa.table(
        {
            "unit_code": targets["unit_code"],
            "name": targets["name"],
            "clean_target": targets["clean_target_text"],
            "due_date": pc.strftime(pc.cast(targets["due_date"], pa.timestamp("s")), "%d/%m/%Y"),
        }
    )
    write_xlsx(sheet, path, "Chỉ tiêu", [TARGET_HEADERS[c] for c in sheet.column_names])


# The registry extract as a police office hands it over: Vietnamese headers, the old
# 9-digit ID card in its own column, the current address beside the permanent one.
REGISTRY_HEADERS = {
    "so_dinh_danh": "Số định danh cá nhân",
    "so_cmnd": "Số CMND cũ",
    "ho_ten": "Họ, chữ đệm và tên",
    "ngay_sinh": "Ngày, tháng, năm sinh",
    "gioi_tinh": "Giới tính",
    "noi_thuong_tru": "Nơi thường trú",
}


def _write_registry(province: Province, folder: Path, vietnamese: bool = False) -> None:
    """The registry as CSV and Parquet; ``vietnamese``: the CSV with the headers an
    extract has (and the current address, here the permanent one)."""
    registry = province.registry
    if vietnamese:
        registry = registry.append_column("Nơi ở hiện tại", registry["noi_thuong_tru"])
        names = [REGISTRY_HEADERS.get(n, n) for n in registry.column_names]
        registry = registry.rename_columns(names)
    pacsv.write_csv(registry, folder / "population.csv")
    pq.write_table(province.registry, folder / "population.parquet")
