"""The record-building steps of the generator (one function per kind of record)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from landclean.synth import defects as dfx
from landclean.synth.config import GeneratorConfig
from landclean.synth.geometry import to_projected
from landclean.synth.identity import apply_party_defects
from landclean.synth.people import make_people, names_data
from landclean.vn import admin_units as au
from landclean.vn.text import to_old_tone_placement

Label = Callable[..., None]
HOLDER_KINDS = np.array(["individual", "couple", "household", "organization"])
HOLDER_SHARES = np.array([0.55, 0.25, 0.17, 0.03])
PARCELS_PER_HOLDER = 1.45
OTHER_COMMUNE_SHARE = 0.03
SERIAL_LETTERS_OLD = [a + b for a in "ABCD" for b in "ABCDEGHIKLMNOPQRSTUVXY"]
SERIAL_LETTERS_2024 = ["AA", "AB", "AC", "AD"]
FORM_2024_FROM = np.datetime64("2024-08-01")
MERGER_DATE = np.datetime64("2025-07-01")


def _new_commune_by_location(
    olds: list[au.OldUnit],
    commune: npt.NDArray[np.int64],
    centre: npt.NDArray[np.float64],
    candidates: dict[str, list[str]],
) -> npt.NDArray[np.str_]:
    """New commune of each parcel: the only candidate, or (split communes) the nearest
    candidate centre, i.e. the Voronoi cell of the new communes' reference points."""
    news = {u.code: u for u in au.new_units()}
    nx, ny = to_projected(
        np.array([u.lat for u in news.values()]), np.array([u.lon for u in news.values()])
    )
    pos = {c: (x, y) for c, x, y in zip(news, nx, ny, strict=True)}
    out = np.empty(len(commune), dtype="<U5")
    for ci, unit in enumerate(olds):
        mask = commune == ci
        if not mask.any():
            continue
        cands = candidates[unit.code]
        if len(cands) == 1:
            out[mask] = cands[0]
            continue
        cxy = np.array([pos[c] for c in cands])
        d = ((centre[mask][:, None, :] - cxy[None, :, :]) ** 2).sum(axis=2)
        out[mask] = np.array(cands)[d.argmin(axis=1)]
    return out


def _land_use_entries(
    rng: np.random.Generator,
    parcel_id: npt.NDArray[np.str_],
    main: npt.NDArray[np.str_],
    recorded: npt.NDArray[np.object_],
    area: npt.NDArray[np.float64],
    region: npt.NDArray[np.str_],
) -> pa.Table:
    """One or two land-use entries per parcel: residential parcels often ONT/ODT + garden."""
    residential = np.isin(main, ["ONT", "ODT"]) & (area > 300)
    res_area = np.round(np.minimum(area * 0.5, rng.uniform(100, 400, len(area))), 1)
    garden = np.where(region == "west", "CLN", "HNK")
    first_area = np.where(residential, res_area, area)
    idx2 = np.flatnonzero(residential)
    return pa.table(
        {
            "parcel_id": np.concatenate([parcel_id, parcel_id[idx2]]),
            "seq": np.concatenate([np.ones(len(parcel_id), int), np.full(len(idx2), 2)]),
            "code_true": np.concatenate([main, garden[idx2]]),
            "code_recorded": np.concatenate([recorded.astype(str), garden[idx2]]),
            "area": np.concatenate([first_area, np.round(area[idx2] - res_area[idx2], 1)]),
            "origin": np.where(
                np.concatenate([main, garden[idx2]]) == "RSX",
                "Nhà nước giao đất",
                "Công nhận QSDĐ như giao đất có thu tiền",
            ),
            "term": np.where(
                np.isin(np.concatenate([main, garden[idx2]]), ["ONT", "ODT"]),
                "Lâu dài",
                "Đến 01/07/2064",
            ),
        }
    )


def _holders(
    rng: np.random.Generator, commune: npt.NDArray[np.int64], counts: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.str_], npt.NDArray[np.int64]]:
    """Right holders per old commune; each parcel gets one (a few live elsewhere)."""
    per_commune = np.maximum(1, np.round(counts / PARCELS_PER_HOLDER)).astype(np.int64)
    per_commune[counts == 0] = 0
    offset = np.cumsum(per_commune) - per_commune
    total = int(per_commune.sum())
    holder = offset[commune] + (rng.random(len(commune)) * per_commune[commune]).astype(np.int64)
    elsewhere = rng.random(len(commune)) < OTHER_COMMUNE_SHARE
    holder[elsewhere] = rng.integers(0, total, int(elsewhere.sum()))
    kind = HOLDER_KINDS[rng.choice(4, size=total, p=HOLDER_SHARES)]
    holder_commune = np.repeat(np.arange(len(counts)), per_commune)
    return holder, kind, holder_commune


def _persons(
    rng: np.random.Generator, kind: npt.NDArray[np.str_], region: npt.NDArray[np.str_]
) -> tuple[pa.Table, npt.NDArray[np.int64], npt.NDArray[np.str_]]:
    """The true people behind the holders: one per individual/household, two per couple."""
    n_people = np.where(kind == "couple", 2, np.where(kind == "organization", 0, 1))
    holder = np.repeat(np.arange(len(kind)), n_people)
    first = np.ones(len(holder), dtype=bool)
    first[1:] = holder[1:] != holder[:-1]
    role = np.where(kind[holder] == "couple", np.where(first, "husband", "wife"), "self")
    female = np.where(
        role == "husband", False, np.where(role == "wife", True, rng.random(len(holder)) < 0.35)
    )
    p = make_people(rng, region[holder], female)
    table = pa.table(
        {
            "person_id": np.char.add("P", np.char.zfill(np.arange(len(holder)).astype(str), 8)),
            "full_name": p.full_name,
            "surname": p.surname,
            "middle": p.middle,
            "given": p.given,
            "highland": p.highland,
            "female": p.female,
            "birth_date": p.birth,
            "birth_province": p.birth_province,
            "cccd": p.cccd,
            "cmnd": pa.array(p.cmnd, pa.string()),
            "region": region[holder],
        }
    )
    return table, holder, role


def _parties(
    rng: np.random.Generator,
    config: GeneratorConfig,
    people: pa.Table,
    person_holder: npt.NDArray[np.int64],
    person_role: npt.NDArray[np.str_],
    holder_kind: npt.NDArray[np.str_],
    owned: npt.NDArray[np.int64],
    olds: list[au.OldUnit],
    holder_commune: npt.NDArray[np.int64],
    tcvn3_holder: npt.NDArray[np.bool_],
    label: Label,
) -> pa.Table:
    """Land-system party records (with recorded values and defects) for holders with land."""
    is_owned = np.zeros(len(holder_kind), dtype=bool)
    is_owned[owned] = True
    keep = is_owned[person_holder]
    idx = np.flatnonzero(keep)
    n = len(idx)
    cols = {c: people[c].to_numpy(zero_copy_only=False)[idx] for c in people.column_names}
    name_d = dfx.pick_family(
        rng,
        config,
        n,
        [
            "name_nfd",
            "name_tcvn3_mojibake",
            "name_vni_mojibake",
            "name_middle_missing",
            "name_middle_misspelled",
            "name_missing",
        ],
    )
    # The other tone placement (Hoà for Hòa) exists only for some names: draw among those.
    full = pa.array(cols["full_name"], pa.string())
    unique = pc.unique(full)
    variants = {n for n in unique.to_pylist() if to_old_tone_placement(n) != n}
    has_variant = pc.is_in(full, value_set=pa.array(sorted(variants), pa.string()))
    tone = (rng.random(n) < config.rate("name_tone_placement")) & has_variant.to_numpy(
        zero_copy_only=False
    )
    name_d[tone & (name_d == None)] = "name_tone_placement"  # noqa: E711
    # Names written in TCVN3 by their district cannot also carry mojibake or NFD forms.
    mojibake = np.isin(name_d, ["name_tcvn3_mojibake", "name_vni_mojibake", "name_nfd"])
    name_d[mojibake & tcvn3_holder[person_holder[idx]]] = None
    ede = (rng.random(n) < config.rate("name_ede_reversed")) & cols["highland"]
    name_d[ede] = "name_ede_reversed"
    id_d = dfx.pick_family(
        rng,
        config,
        n,
        [
            "id_wrong_digit",
            "id_swapped_digits",
            "id_old_cmnd",
            "id_missing",
            "id_birth_mismatch",
            "id_wrong_length",
            "id_unknown_province",
            "id_shared",
        ],
    )
    birth_d = dfx.pick_family(
        rng,
        config,
        n,
        ["birth_day_month_swapped", "birth_year_only", "birth_missing", "birth_impossible"],
    )
    rec = apply_party_defects(
        rng,
        cols["full_name"],
        (cols["surname"], cols["middle"], cols["given"]),
        cols["highland"],
        cols["cccd"],
        cols["cmnd"],
        cols["birth_date"],
        name_d,
        id_d,
        birth_d,
    )
    _share_ids(rng, rec, id_d, cols["birth_date"], cols["female"])
    holder = person_holder[idx]
    kind = holder_kind[holder]
    party_type = np.where(kind == "household", "household", "individual")
    villages = _villages(rng, cols["region"])
    commune_name = np.array([u.name for u in olds])[holder_commune[holder]]
    address = np.char.add(np.char.add(villages.astype(str), ", "), commune_name)
    party_id = np.char.add("CSD", np.char.zfill(np.arange(n).astype(str), 8))
    for key in ("name", "id", "birth"):
        applied = np.array(rec[f"defect_{key}"], dtype=object)
        for name in sorted({a for a in applied if a}):
            label("party", party_id[applied == name], str(name))
    # the same person recorded twice: a second party record with the same values,
    # entered on the holder's parcels beside the first (single-person holders only)
    twice = np.flatnonzero(
        dfx.pick(rng, config, n, "party_duplicate")
        & np.isin(kind, ["individual", "household"])
        & (id_d == None)  # noqa: E711
        & np.array([a is None for a in rec["defect_name"]])
        & np.array([a is None for a in rec["defect_birth"]])
    )
    persons = pa.table(
        {
            "party_id": party_id,
            "person_id": cols["person_id"],
            "holder_id": holder,
            "party_type": party_type,
            "role": person_role[idx],
            "name": rec["name"],
            "id_number": rec["id"],
            "birth": rec["birth"],
            "sex": np.where(cols["female"], "Nữ", "Nam"),
            "address": address,
        }
    )
    orgs = np.flatnonzero(is_owned & (holder_kind == "organization"))
    templates = names_data()["organizations"]
    org_names = [
        templates[int(rng.integers(len(templates)))].format(
            place=olds[holder_commune[h]].name.split(" ", 1)[-1],
            commune=olds[holder_commune[h]].name,
        )
        for h in orgs
    ]
    org_tbl = pa.table(
        {
            "party_id": np.char.add(
                "CSD", np.char.zfill((n + np.arange(len(orgs))).astype(str), 8)
            ),
            "person_id": pa.nulls(len(orgs), pa.string()),
            "holder_id": orgs,
            "party_type": np.full(len(orgs), "organization"),
            "role": np.full(len(orgs), "org"),
            "name": org_names,
            "id_number": np.full(len(orgs), ""),
            "birth": np.full(len(orgs), ""),
            "sex": np.full(len(orgs), ""),
            "address": [olds[holder_commune[h]].name for h in orgs],
        }
    )
    dup_tbl = persons.take(twice)
    dup_ids = [f"CSD{n + len(orgs) + k:08d}" for k in range(len(twice))]
    dup_tbl = dup_tbl.set_column(0, "party_id", pa.array(dup_ids, pa.string()))
    out = pa.concat_tables([persons, org_tbl.cast(persons.schema), dup_tbl.cast(persons.schema)])
    _label_shared_and_twice(out, label)
    return out


def _share_ids(
    rng: np.random.Generator,
    rec: dict[str, list[object]],
    id_d: npt.NDArray[np.object_],
    birth: npt.NDArray[np.datetime64],
    female: npt.NDArray[np.bool_],
) -> None:
    """'id_shared': the ID of another person born the same year, of the same sex (so the
    ID's own birth-year and sex digits do not give it away), copied in."""
    key = birth.astype("datetime64[Y]").astype(np.int64) * 2 + female.astype(np.int64)
    donors = np.flatnonzero(id_d == None)  # noqa: E711
    donors = donors[np.argsort(key[donors], kind="stable")]
    donor_keys = key[donors]
    for i in np.flatnonzero(id_d == "id_shared"):
        lo, hi = (
            np.searchsorted(donor_keys, key[i], "left"),
            np.searchsorted(donor_keys, key[i], "right"),
        )
        if hi > lo:
            rec["id"][i] = rec["id"][int(donors[lo + int(rng.integers(hi - lo))])]


def _label_shared_and_twice(parties: pa.Table, label: Label) -> None:
    """Truth by construction, whatever produced it (a copied ID, a mistyped digit that hit
    someone else's ID, a duplicate record): parties whose recorded ID is also another
    person's are 'id_shared'; parties of a person recorded more than once 'party_duplicate'."""
    con = duckdb.connect()
    con.register("parties", parties.select(["party_id", "person_id", "id_number"]))
    shared = con.execute(
        """
        WITH p AS (SELECT party_id, person_id, regexp_replace(id_number, '[^0-9]', '', 'g') AS d
                   FROM parties WHERE person_id IS NOT NULL)
        SELECT party_id FROM p WHERE d <> '' AND d IN (
            SELECT d FROM p WHERE d <> '' GROUP BY d HAVING count(DISTINCT person_id) > 1)
        ORDER BY party_id"""
    ).fetchall()
    label("party", np.array([r[0] for r in shared], dtype=str), "id_shared")
    twice = con.execute(
        """SELECT party_id FROM parties WHERE person_id IN (
               SELECT person_id FROM parties WHERE person_id IS NOT NULL
               GROUP BY 1 HAVING count(*) > 1) ORDER BY party_id"""
    ).fetchall()
    label("party", np.array([r[0] for r in twice], dtype=str), "party_duplicate")


def _rights(
    rng: np.random.Generator,
    config: GeneratorConfig,
    parcel_id: npt.NDArray[np.str_],
    holder_of_parcel: npt.NDArray[np.int64],
    no_owner: npt.NDArray[np.bool_],
    parties: pa.Table,
    label: Label,
) -> pa.Table:
    """One right per (parcel, party): shares 1, or 0.5/0.5 for couples."""
    p_holder = parties["holder_id"].to_numpy()
    p_id = parties["party_id"].to_numpy(zero_copy_only=False)
    p_role = parties["role"].to_numpy(zero_copy_only=False)
    order = np.argsort(p_holder, kind="stable")
    starts = np.searchsorted(p_holder[order], holder_of_parcel, side="left")
    ends = np.searchsorted(p_holder[order], holder_of_parcel, side="right")
    owned = np.flatnonzero(~no_owner)
    width = (ends - starts)[owned]
    rows_parcel = np.repeat(owned, width)
    within = np.arange(len(rows_parcel)) - np.repeat(np.cumsum(width) - width, width)
    party_pos = order[starts[rows_parcel] + within]
    share = 1.0 / np.repeat(width, width)
    bad = dfx.pick(rng, config, len(parcel_id), "right_shares_not_one") & ~no_owner
    first_of_parcel = within == 0
    wrong = bad[rows_parcel] & first_of_parcel
    share = np.where(wrong, share - 0.2, share)
    label("parcel", parcel_id[np.flatnonzero(bad)], "right_shares_not_one")
    role = p_role[party_pos]
    role = np.where(role == "husband", "co-owner", np.where(role == "wife", "co-owner", role))
    role = np.where(role == "self", "owner", np.where(role == "org", "organization", role))
    return pa.table(
        {
            "parcel_id": parcel_id[rows_parcel],
            "party_id": p_id[party_pos],
            "role": role,
            "share": np.round(share, 4),
        }
    )


def _certificates(
    rng: np.random.Generator,
    config: GeneratorConfig,
    parcel_id: npt.NDArray[np.str_],
    holder: npt.NDArray[np.int64],
    no_owner: npt.NDArray[np.bool_],
    commune: npt.NDArray[np.int64],
    holder_kind: npt.NDArray[np.str_],
    olds: list[au.OldUnit],
    label: Label,
) -> pa.Table:
    """Certificates: most owned parcels have one; some cover several parcels of one holder."""
    certified = (~no_owner) & (rng.random(len(parcel_id)) < 0.88)
    idx = np.flatnonzero(certified)
    order = idx[np.lexsort((commune[idx], holder[idx]))]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (holder[order][1:] == holder[order][:-1]) & (
        commune[order][1:] == commune[order][:-1]
    )
    merge = same & (rng.random(len(order)) < 0.35)
    group = np.cumsum(~merge) - 1
    n_cert = int(group[-1]) + 1 if len(group) else 0
    cert_id = np.char.add("GCN", np.char.zfill(np.arange(n_cert).astype(str), 8))
    first = np.flatnonzero(~merge)
    lead = order[first]
    days = (np.datetime64("2025-10-31") - np.datetime64("1995-01-01")).astype(int)
    issued = np.datetime64("1995-01-01") + rng.integers(0, days, n_cert)
    new_form = issued >= FORM_2024_FROM
    serial = _unique_serials(rng, new_form)
    malformed = dfx.pick(rng, config, n_cert, "certificate_malformed_serial")
    serial_rec = serial.astype(object)
    for i in np.flatnonzero(malformed):
        serial_rec[i] = _malform(rng, serial[i])
    label("certificate", cert_id[malformed], "certificate_malformed_serial")
    serial_d = dfx.pick_family(
        rng, config, n_cert, ["certificate_missing_serial", "certificate_duplicate_serial"]
    )
    serial_d[malformed] = None
    serial_rec[serial_d == "certificate_missing_serial"] = ""
    label(
        "certificate",
        cert_id[serial_d == "certificate_missing_serial"],
        "certificate_missing_serial",
    )
    # a serial typed from another certificate (truth: every certificate sharing a serial)
    copy = np.flatnonzero(serial_d == "certificate_duplicate_serial")
    donors = np.flatnonzero((serial_d == None) & ~malformed)  # noqa: E711
    if len(copy) and len(donors):
        serial_rec[copy] = serial_rec[donors[rng.integers(len(donors), size=len(copy))]]
    normalized = np.char.upper(np.char.replace(serial_rec.astype(str), " ", ""))
    present = normalized != ""
    _, inverse, counts = np.unique(normalized, return_inverse=True, return_counts=True)
    shared = present & (counts[inverse] > 1)
    label("certificate", cert_id[shared], "certificate_duplicate_serial")
    no_digital = dfx.pick(rng, config, n_cert, "certificate_no_digital_data")
    label("certificate", cert_id[no_digital], "certificate_no_digital_data")
    kind = holder_kind[holder[lead]]
    prefix = np.where(
        kind == "organization", "CT", np.where(issued < np.datetime64("2009-12-10"), "CH", "CS")
    )
    book = np.char.add(
        np.char.add(prefix, " "), np.char.zfill(rng.integers(1, 99999, n_cert).astype(str), 5)
    ).astype(object)
    bad_book = dfx.pick(rng, config, n_cert, "certificate_bad_book_entry")
    for i in np.flatnonzero(bad_book):  # the prefix lost or replaced by the serial's letters
        number = str(book[i]).split(" ")[1]
        book[i] = f"Số {number}" if rng.random() < 0.5 else f"{number}/{str(serial[i])[:2]}"
    label("certificate", cert_id[bad_book], "certificate_bad_book_entry")
    district = np.array([olds[c].district_name for c in commune[lead]])
    old_prov = np.array(
        ["Phú Yên" if olds[c].region == "east" else "Đắk Lắk" for c in commune[lead]]
    )
    issuer = np.where(
        issued >= MERGER_DATE,
        "Sở Nông nghiệp và Môi trường tỉnh Đắk Lắk",
        np.where(
            kind == "organization",
            np.char.add("Sở Tài nguyên và Môi trường tỉnh ", old_prov),
            np.char.add("UBND ", district),
        ),
    )
    certs = pa.table(
        {
            "certificate_id": cert_id,
            "serial": serial,
            "serial_recorded": serial_rec.astype(str),
            "form_version": np.where(new_form, "2024", "pre2024"),
            "book_entry_no": book.astype(str),
            "issue_date": issued,
            "issuer": issuer,
            "digital_status": np.where(no_digital, "Chưa có dữ liệu số", "Đã số hóa"),
        }
    )
    links = pa.table({"certificate_id": cert_id[group], "parcel_id": parcel_id[order]})
    return certs.join(links, "certificate_id").sort_by("certificate_id")


def _transfer_without_certificate(
    rng: np.random.Generator,
    config: GeneratorConfig,
    certificates: pa.Table,
    parcel_id: npt.NDArray[np.str_],
    holder: npt.NDArray[np.int64],
    no_owner: npt.NDArray[np.bool_],
    eligible: npt.NDArray[np.bool_],
    label: Label,
) -> npt.NDArray[np.int64]:
    """'certificate_rights_mismatch': a parcel of a several-parcel certificate whose rights
    went to someone else (a transfer recorded in the rights, not on the certificate).
    Only ``eligible`` parcels move (not those of the district exported in TCVN3, whose
    holders' names were kept encodable).  Returns the holders as the rights have them;
    the certificate is labelled."""
    cert = certificates["certificate_id"].to_numpy(zero_copy_only=False)  # sorted by id
    linked = certificates["parcel_id"].to_numpy(zero_copy_only=False)
    _, first, count = np.unique(cert, return_index=True, return_counts=True)
    several = np.repeat(count > 1, count)
    lead = np.zeros(len(cert), dtype=bool)
    lead[first] = True
    order = np.argsort(parcel_id)
    position = order[np.searchsorted(parcel_id[order], linked)]
    candidates = np.flatnonzero(several & ~lead & eligible[position])
    moved = candidates[rng.random(len(candidates)) < config.rate("certificate_rights_mismatch")]
    where = position[moved]
    owned = np.flatnonzero(~no_owner)
    out = holder.copy()
    for i in where:  # another owner's holder (rare: a loop over the moved parcels only)
        other = holder[owned[int(rng.integers(len(owned)))]]
        while other == holder[i]:
            other = holder[owned[int(rng.integers(len(owned)))]]
        out[i] = other
    label("certificate", np.unique(cert[moved]), "certificate_rights_mismatch")
    return out


def _unique_serials(
    rng: np.random.Generator, new_form: npt.NDArray[np.bool_]
) -> npt.NDArray[np.str_]:
    n = len(new_form)
    letters_old = np.array(SERIAL_LETTERS_OLD)[rng.integers(len(SERIAL_LETTERS_OLD), size=n)]
    letters_new = np.array(SERIAL_LETTERS_2024)[rng.integers(len(SERIAL_LETTERS_2024), size=n)]
    digits_old = np.char.zfill(rng.integers(0, 10**6, n).astype(str), 6)
    digits_new = np.char.zfill(rng.integers(0, 10**8, n).astype(str), 8)
    serial = np.where(
        new_form,
        np.char.add(np.char.add(letters_new, " "), digits_new),
        np.char.add(np.char.add(letters_old, " "), digits_old),
    )
    _, first = np.unique(serial, return_index=True)
    dup = np.ones(n, dtype=bool)
    dup[first] = False
    if dup.any():  # rare: redraw only the duplicates
        serial[dup] = np.char.add(
            np.char.add(letters_new[dup], " "),
            np.char.zfill((rng.permutation(10**6)[: dup.sum()] + 90_000_000).astype(str), 8),
        )
    return serial


def _malform(rng: np.random.Generator, serial: str) -> str:
    letters, digits = serial.split(" ")
    choice = int(rng.integers(4))
    if choice == 0:
        return f"{letters} {digits[:-1]}"  # a digit lost
    if choice == 1:
        return digits  # letters lost
    if choice == 2:
        return f"{letters[0]} {digits}"  # one letter lost
    return f"{letters}{letters[-1]} {digits}0"  # letters and digits doubled


def _assets(
    rng: np.random.Generator,
    config: GeneratorConfig,
    parcel_id: npt.NDArray[np.str_],
    main: npt.NDArray[np.str_],
    area: npt.NDArray[np.float64],
    plain: npt.NDArray[np.bool_],
    label: Label,
) -> pa.Table:
    """Houses on most residential parcels, and (a defect) on some farm land.
    ``plain`` marks parcels whose recorded land use is a valid current code."""
    residential = np.isin(main, ["ONT", "ODT"])
    wrong = dfx.pick(rng, config, len(main), "asset_on_non_residential") & ~residential & plain
    label("parcel", parcel_id[wrong], "asset_on_non_residential")
    has = (residential & (rng.random(len(main)) < 0.6)) | wrong
    idx = np.flatnonzero(has)
    floor = np.round(np.minimum(area[idx] * 0.6, rng.uniform(40, 250, len(idx))), 1)
    return pa.table(
        {
            "asset_id": np.char.add("TS", np.char.zfill(np.arange(len(idx)).astype(str), 8)),
            "parcel_id": parcel_id[idx],
            "asset_type": np.full(len(idx), "Nhà ở riêng lẻ"),
            "floor_area": floor,
            "floors": rng.choice([1, 1, 1, 2, 2, 3, 4], len(idx)),
        }
    )


REGISTRY_MOVED_SHARE = 0.12  # registered in another commune than their land's


def _registry(
    rng: np.random.Generator,
    config: GeneratorConfig,
    people: pa.Table,
    person_commune: npt.NDArray[np.str_],
    parties: pa.Table,
    label: Label,
) -> pa.Table:
    """The population registry: true people (some absent) plus people without land.

    The registered address is the new commune of the person's land, except for
    people who moved (REGISTRY_MOVED_SHARE), registered anywhere in their region."""
    n = people.num_rows
    absent = dfx.pick(rng, config, n, "registry_absent")
    in_parties = pc.is_in(people["person_id"], value_set=parties["person_id"].drop_null())
    is_user = in_parties.to_numpy(zero_copy_only=False)
    absent &= is_user
    label("person", people["person_id"].to_numpy(zero_copy_only=False)[absent], "registry_absent")
    n_extra = int(np.round(is_user.sum() * config.registry_extra_share))
    extra_region = np.where(rng.random(n_extra) < 0.55, "west", "east")
    extra = make_people(rng, extra_region, rng.random(n_extra) < 0.5)
    keep = ~absent
    birth = np.concatenate([people["birth_date"].to_numpy()[keep], extra.birth])
    day = np.datetime_as_string(birth, unit="D")
    birth_text = np.char.add(
        np.char.add(
            np.char.add(
                np.char.add(
                    pc.utf8_slice_codeunits(pa.array(day), 8, 10)
                    .to_numpy(zero_copy_only=False)
                    .astype(str),
                    "/",
                ),
                pc.utf8_slice_codeunits(pa.array(day), 5, 7)
                .to_numpy(zero_copy_only=False)
                .astype(str),
            ),
            "/",
        ),
        pc.utf8_slice_codeunits(pa.array(day), 0, 4).to_numpy(zero_copy_only=False).astype(str),
    )
    female = np.concatenate([people["female"].to_numpy(zero_copy_only=False)[keep], extra.female])
    region = np.concatenate([people["region"].to_numpy(zero_copy_only=False)[keep], extra_region])
    commune = np.concatenate(
        [person_commune[keep], np.empty(n_extra, dtype=person_commune.dtype)]
    ).astype(object)
    moved = np.concatenate(
        [rng.random(int(keep.sum())) < REGISTRY_MOVED_SHARE, np.ones(n_extra, bool)]
    )
    for r in ("west", "east"):
        pool = np.unique(person_commune[people["region"].to_numpy(zero_copy_only=False) == r])
        pick = moved & (region == r)
        if len(pool):
            commune[pick] = pool[rng.integers(len(pool), size=int(pick.sum()))]
    address = np.char.add(commune.astype(str), ", Tỉnh Đắk Lắk")
    table = pa.table(
        {
            "so_dinh_danh": np.concatenate(
                [people["cccd"].to_numpy(zero_copy_only=False)[keep], extra.cccd]
            ),
            "so_cmnd": pa.concat_arrays(
                [
                    people["cmnd"].filter(pa.array(keep)).combine_chunks(),
                    pa.array(extra.cmnd, pa.string()),
                ]
            ),
            "ho_ten": pa.concat_arrays(
                [people["full_name"].filter(pa.array(keep)).combine_chunks(), extra.full_name]
            ),
            "ngay_sinh": birth_text,
            "gioi_tinh": np.where(female, "Nữ", "Nam"),
            "noi_thuong_tru": address,
        }
    )
    shuffle = rng.permutation(table.num_rows)
    return table.take(pa.array(shuffle))


def _commune_status(
    rng: np.random.Generator,
    config: GeneratorConfig,
    news: dict[str, au.NewUnit],
    olds: list[au.OldUnit],
    no_db: str,
) -> pa.Table:
    """Campaign situation per new commune: land DB, VBDLIS sync, committee date."""
    cross = au.crosswalk()
    district_of_old = {u.code: u.district_name for u in olds}
    not_synced = {
        r.new_code
        for r in cross
        if district_of_old[r.old_code] == config.not_synced_district and r.is_default
    }
    codes = sorted(news)
    synced = np.array([c not in not_synced and c != no_db for c in codes])
    synced &= rng.random(len(codes)) < 0.62
    for c in not_synced:
        synced[codes.index(c)] = False
    start = np.datetime64("2025-09-18")
    offsets = rng.integers(0, 33, len(codes))  # committees set up 18 Sep - 20 Oct
    committee = (start + offsets).astype("datetime64[D]").astype(object)
    missing = rng.random(len(codes)) < 0.12
    committee[missing] = None
    return pa.table(
        {
            "unit_code": codes,
            "name": [news[c].name for c in codes],
            "has_land_db": [c != no_db for c in codes],
            "vbdlis_synced": synced,
            "committee_date": pa.array(committee, pa.date32()),
        }
    )


def _villages(rng: np.random.Generator, region: npt.NDArray[np.str_]) -> npt.NDArray[np.str_]:
    d = names_data()
    west = np.array(d["villages_west"])[rng.integers(len(d["villages_west"]), size=len(region))]
    east = np.array(d["villages_east"])[rng.integers(len(d["villages_east"]), size=len(region))]
    return np.where(region == "west", west, east)


GROUP3_DEFECTS = {"parcel_missing_geometry"}
NO_GROUP_IMPACT = {"name_nfd", "name_tone_placement", "name_tcvn3_mojibake", "name_vni_mojibake"}


def _expected_group(
    parcels: pa.Table,
    defects: pa.Table,
    rights: pa.Table,
    certificates: pa.Table,
    parties: pa.Table,
) -> npt.NDArray[np.int64]:
    """Truth group: 3 if the parcel must be rebuilt (no geometry); 2 if it or its
    certificate, rights or users carry a defect that needs a person; else 1."""
    con = duckdb.connect()
    indexed = parcels.select(["parcel_id"]).append_column(
        "i", pa.array(np.arange(parcels.num_rows))
    )
    for name, table in (
        ("parcels", indexed),
        ("defects", defects),
        ("rights", rights),
        ("certificates", certificates),
        ("parties", parties.select(["party_id", "person_id"])),
    ):
        con.register(name, table)
    g3 = list(GROUP3_DEFECTS)
    quiet = list(NO_GROUP_IMPACT)
    sql = """
    WITH d AS (SELECT * FROM defects WHERE NOT list_contains($quiet, defect)),
    bad AS (
        SELECT record_id AS parcel_id FROM d WHERE record_type = 'parcel'
        UNION SELECT c.parcel_id FROM certificates c JOIN d
            ON d.record_type = 'certificate' AND d.record_id = c.certificate_id
        UNION SELECT r.parcel_id FROM rights r JOIN d
            ON d.record_type = 'party' AND d.record_id = r.party_id
        UNION SELECT r.parcel_id FROM rights r JOIN parties p USING (party_id) JOIN d
            ON d.record_type = 'person' AND d.record_id = p.person_id
    ),
    rebuild AS (SELECT record_id AS parcel_id FROM defects
                WHERE record_type = 'parcel' AND list_contains($g3, defect))
    SELECT CASE WHEN parcel_id IN (SELECT parcel_id FROM rebuild) THEN 3
                WHEN parcel_id IN (SELECT parcel_id FROM bad) THEN 2 ELSE 1 END AS grp
    FROM parcels ORDER BY i
    """
    result = con.execute(sql, {"quiet": quiet, "g3": g3}).fetchnumpy()["grp"]
    return np.asarray(result, dtype=np.int64)
