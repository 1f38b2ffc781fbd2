"""Generate the synthetic province: sources as the field has them, plus truth/."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from landclean.errors import GenerateError
from landclean.synth import defects as dfx
from landclean.synth.build_parts import (
    _assets,
    _certificates,
    _commune_status,
    _expected_group,
    _holders,
    _land_use_entries,
    _new_commune_by_location,
    _parties,
    _persons,
    _registry,
    _rights,
    _transfer_without_certificate,
    _villages,
)
from landclean.synth.config import GeneratorConfig
from landclean.synth.geometry import SHEET_GRID, parcel_quads, quads_to_polygons, sheet_gaps
from landclean.synth.id_cards import card_plan, write_id_cards
from landclean.synth.land import INVALID_CODES, LEGACY_SPELLING, main_land_use
from landclean.synth.layout import allocate, commune_weights, plan_sheets
from landclean.synth.progress import commune_targets, progress_reports
from landclean.synth.province import Province
from landclean.synth.writers import write_outputs
from landclean.vn import admin_units as au

log = logging.getLogger(__name__)


def generate(config: GeneratorConfig, out: Path) -> dict[str, int]:
    """Generate the province into ``out`` (must be empty or absent); return counts."""
    if out.exists() and any(out.iterdir()):
        raise GenerateError("output_not_empty", path=out)
    unknown = set(config.defect_rates) - set(dfx_names())
    if unknown:
        raise GenerateError("unknown_defects", defects=", ".join(sorted(unknown)))
    province = build(config)
    write_outputs(province, config, out)
    if config.id_cards:
        province.stats["id_card_files"] = write_id_cards(
            out, card_plan(config.id_cards), config.seed
        )
    return province.stats


def dfx_names() -> list[str]:
    from landclean.synth.config import DEFAULT_DEFECT_RATES

    return list(DEFAULT_DEFECT_RATES)


def build(config: GeneratorConfig) -> Province:
    rng = np.random.default_rng(config.seed)
    olds = list(au.old_units())
    news = {u.code: u for u in au.new_units()}
    cross = au.crosswalk()
    no_db = next((c for c, u in news.items() if u.name == config.no_land_db_commune), None)
    if no_db is None:
        raise GenerateError("no_such_new_commune", name=config.no_land_db_commune)
    default_new = {r.old_code: r.new_code for r in cross if r.is_default}
    candidates: dict[str, list[str]] = {}
    for r in cross:
        if r.new_code != no_db:
            candidates.setdefault(r.old_code, []).append(r.new_code)
    active = np.array([default_new[u.code] != no_db for u in olds])
    counts = allocate(config.parcels, commune_weights(olds, active))
    split_centres = {
        code: (
            float(np.mean([news[c].lat for c in cands])),
            float(np.mean([news[c].lon for c in cands])),
        )
        for code, cands in candidates.items()
        if len(cands) > 1
    }
    layout = plan_sheets(rng, olds, counts, split_centres)
    sheets = layout.sheets
    p_sheet = layout.sheet_of_parcel
    n = len(p_sheet)
    commune = sheets.commune[p_sheet]
    old_code = np.array([u.code for u in olds])[commune]
    region = np.array([u.region for u in olds])[commune]
    urban = np.array([u.unit_type in ("Phường", "Thị trấn") for u in olds])[commune]
    scale = sheets.scale[p_sheet]
    sheet_no = sheets.sheet_no[p_sheet]
    parcel_no = layout.parcel_no.copy()
    parcel_id = np.char.add(np.char.add("T", old_code), np.char.zfill(np.arange(n).astype(str), 7))

    corners = parcel_quads(sheets, p_sheet, layout.cell_of_parcel, config.seed)
    true_area = shapely.area(quads_to_polygons(corners))
    centre = corners.mean(axis=1)
    new_code = _new_commune_by_location(olds, commune, centre, candidates)

    defects: list[tuple[str, str, str, str]] = []  # record_type, record_id, defect, detail

    def label(kind: str, ids: npt.NDArray[np.str_], name: str, detail: str = "") -> None:
        defects.extend((kind, str(i), name, detail) for i in ids)

    # ---- parcel geometry defects (one per parcel at most)
    grid = np.array([SHEET_GRID[int(s)][1] for s in scale])
    cell_idx = layout.cell_of_parcel
    ci, cj = cell_idx % grid, cell_idx // grid
    inner = (ci < grid - 1) & (cj < grid - 1) & (cell_idx + grid + 1 < sheets.n_parcels[p_sheet])
    geo_family = [
        "parcel_self_intersection",
        "parcel_overlap",
        "parcel_missing_geometry",
        "parcel_sliver",
        "parcel_outside_commune",
    ]
    geo_defect = dfx.pick_family(rng, config, n, geo_family)
    geo_defect[(geo_defect == "parcel_overlap") & ~inner] = None
    # a split old commune's parcels are placed by location: keep them where they are
    split = np.array([len(candidates.get(c, [])) > 1 for c in old_code])
    geo_defect[(geo_defect == "parcel_outside_commune") & split] = None
    bow = geo_defect == "parcel_self_intersection"
    corners[bow] = corners[bow][:, [0, 2, 1, 3]]
    push = geo_defect == "parcel_overlap"
    cell_size = np.array([SHEET_GRID[int(s)][0] / SHEET_GRID[int(s)][1] for s in scale])
    corners[push] += (0.2 * cell_size[push])[:, None, None]  # shifted: overlaps neighbours
    thin = geo_defect == "parcel_sliver"  # two corners pulled in: a 2 %-wide strip
    corners[thin, 2] = corners[thin, 1] + 0.02 * (corners[thin, 2] - corners[thin, 1])
    corners[thin, 3] = corners[thin, 0] + 0.02 * (corners[thin, 3] - corners[thin, 0])
    away = geo_defect == "parcel_outside_commune"  # the 500 km false easting added twice
    corners[away, :, 0] += 500_000.0
    has_geom = geo_defect != "parcel_missing_geometry"
    for name in geo_family:
        label("parcel", parcel_id[geo_defect == name], name)
    geometry = quads_to_polygons(corners)

    # ---- numbers, areas, land use
    dup = dfx.pick(rng, config, n, "parcel_duplicate_number") & (parcel_no > 1)
    dup[1:] &= ~dup[:-1]  # the twin (previous parcel in the sheet) keeps its number
    dup_idx = np.flatnonzero(dup)
    parcel_no[dup_idx] = parcel_no[dup_idx] - 1
    label("parcel", parcel_id[dup_idx], "parcel_duplicate_number")
    for i in dup_idx:
        defects.append(("parcel", str(parcel_id[i - 1]), "parcel_duplicate_number", "twin"))
    missing_sheet = dfx.pick(rng, config, n, "parcel_missing_sheet")
    missing_sheet[dup_idx] = False  # a duplicate must stay visible as one
    missing_sheet[dup_idx - 1] = False
    label("parcel", parcel_id[missing_sheet], "parcel_missing_sheet")
    disturbed = np.array([d is not None for d in geo_defect]) | missing_sheet
    on_map = has_geom & ~missing_sheet
    for key in sheet_gaps(old_code, scale, sheet_no, geometry, on_map, disturbed):
        defects.append(("sheet", key, "sheet_gap", ""))

    legal_area = np.round(true_area * (1 + rng.normal(0, 0.003, n)), 1)
    mismatch = dfx.pick(rng, config, n, "parcel_area_mismatch") & (geo_defect == None)  # noqa: E711
    legal_area[mismatch] = np.round(
        legal_area[mismatch] * (1 + rng.choice([-0.4, -0.25, 0.3, 0.6], mismatch.sum())), 1
    )
    label("parcel", parcel_id[mismatch], "parcel_area_mismatch")
    area_d = dfx.pick_family(rng, config, n, ["parcel_missing_area", "parcel_area_implausible"])
    area_d[mismatch | (geo_defect != None)] = None  # noqa: E711
    wild = np.flatnonzero(area_d == "parcel_area_implausible")
    legal_area[wild] = np.where(rng.random(len(wild)) < 0.5, 0.0, legal_area[wild] * 1000)
    no_area = area_d == "parcel_missing_area"
    for name in ("parcel_missing_area", "parcel_area_implausible"):
        label("parcel", parcel_id[area_d == name], name)

    lu_main = main_land_use(rng, region, scale, urban)
    legacy_commune = rng.random(len(olds)) < 0.10
    lu_code = lu_main.astype(object)
    legacy = legacy_commune[commune] & np.isin(lu_main, list(LEGACY_SPELLING))
    lu_code[legacy] = [LEGACY_SPELLING[c] for c in lu_main[legacy]]
    bad_lu = dfx.pick(rng, config, n, "parcel_invalid_land_use")
    lu_code[bad_lu] = INVALID_CODES[rng.integers(len(INVALID_CODES), size=int(bad_lu.sum()))]
    label("parcel", parcel_id[bad_lu], "parcel_invalid_land_use")
    no_lu = dfx.pick(rng, config, n, "parcel_missing_land_use") & ~bad_lu
    label("parcel", parcel_id[no_lu], "parcel_missing_land_use")
    land_use = _land_use_entries(rng, parcel_id, lu_main, lu_code, legal_area, region)
    blank = pc.is_in(land_use["parcel_id"], value_set=pa.array(parcel_id[no_lu]))
    land_use = land_use.set_column(
        land_use.column_names.index("code_recorded"),
        "code_recorded",
        pc.if_else(blank, "", land_use["code_recorded"]),
    )

    # ---- holders and people
    holder_of_parcel, holder_kind, holder_commune = _holders(rng, commune, counts)
    holder_region = np.array([u.region for u in olds])[holder_commune]
    people, person_holder, person_role = _persons(rng, holder_kind, holder_region)
    # ---- rights, ownerless parcels
    no_owner = dfx.pick(rng, config, n, "parcel_no_owner")
    label("parcel", parcel_id[no_owner], "parcel_no_owner")
    owned_holders = np.unique(holder_of_parcel[~no_owner])
    district = np.array([u.district_name for u in olds])[commune]
    tcvn3_holder = np.zeros(len(holder_kind), dtype=bool)
    tcvn3_holder[holder_of_parcel[district == config.tcvn3_district]] = True
    parties = _parties(
        rng,
        config,
        people,
        person_holder,
        person_role,
        holder_kind,
        owned_holders,
        olds,
        holder_commune,
        tcvn3_holder,
        label,
    )
    certificates = _certificates(
        rng, config, parcel_id, holder_of_parcel, no_owner, commune, holder_kind, olds, label
    )
    holder_of_parcel = _transfer_without_certificate(
        rng,
        config,
        certificates,
        parcel_id,
        holder_of_parcel,
        no_owner,
        district != config.tcvn3_district,
        label,
    )
    rights = _rights(rng, config, parcel_id, holder_of_parcel, no_owner, parties, label)
    assets = _assets(rng, config, parcel_id, lu_main, legal_area, ~bad_lu & ~no_lu, label)
    default_new = {r.old_code: r.new_code for r in au.crosswalk() if r.is_default}
    new_name_of_old = np.array([news[default_new[u.code]].name for u in olds])
    person_commune = new_name_of_old[holder_commune[person_holder]]
    registry = _registry(rng, config, people, person_commune, parties, label)
    communes = _commune_status(rng, config, news, olds, no_db)
    # certificates without digital data, each in the commune of its first parcel
    paper = certificates.filter(pc.equal(certificates["digital_status"], "Chưa có dữ liệu số"))
    commune_of = pa.table({"parcel_id": parcel_id, "commune": new_code})
    per_cert = (
        paper.select(["certificate_id", "parcel_id"])
        .join(commune_of, "parcel_id")
        .group_by("certificate_id")
        .aggregate([("commune", "min")])
    )
    need = per_cert["commune_min"].value_counts().to_pylist()
    progress = progress_reports(rng, communes, {d["values"]: d["counts"] for d in need})
    # a stream of its own: the targets do not change anything else generated
    targets = commune_targets(np.random.default_rng([config.seed, 9]), communes)
    synced_commune = dict(
        zip(communes["unit_code"].to_pylist(), communes["vbdlis_synced"].to_pylist(), strict=True)
    )
    vbdlis = np.array([synced_commune[c] for c in new_code]) & (rng.random(n) > 0.02)

    defects_tbl = pa.table(
        {
            "record_type": [d[0] for d in defects],
            "record_id": [d[1] for d in defects],
            "defect": [d[2] for d in defects],
            "detail": [d[3] for d in defects],
        }
    )
    parcels = pa.table(
        {
            "parcel_id": parcel_id,
            "old_unit_code": old_code,
            "unit_code": new_code,
            "region": region,
            "scale": scale,
            "sheet_no": sheet_no,
            "parcel_no": parcel_no,
            "true_parcel_no": layout.parcel_no,
            "sheet_missing": missing_sheet,
            "legal_area": pa.array(legal_area, mask=no_area),
            "true_area": np.round(true_area, 2),
            "has_geometry": has_geom,
            "land_use_main": lu_main,
            "land_use_recorded": lu_code.astype(str),
            "legacy_code": legacy,
            "vbdlis_synced": vbdlis,
            "holder_id": holder_of_parcel,
            "no_owner": no_owner,
            "village": _villages(rng, region),
        }
    )
    parcels = parcels.append_column(
        "expected_group",
        pa.array(_expected_group(parcels, defects_tbl, rights, certificates, parties)),
    )
    stats = {
        "parcels": n,
        "parties": parties.num_rows,
        "persons": people.num_rows,
        "registry": registry.num_rows,
        "certificates": certificates.num_rows,
        "defects": defects_tbl.num_rows,
    }
    return Province(
        parcels,
        land_use,
        people,
        parties,
        rights,
        certificates,
        assets,
        registry,
        communes,
        defects_tbl,
        geometry,
        stats,
        progress,
        targets,
    )


__all__ = ["Province", "build", "generate"]
