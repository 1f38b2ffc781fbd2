"""Settings of the synthetic-province generator, including the injected defect rates."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# Share of records that get each defect.  Each rate applies to the record type named.
DEFAULT_DEFECT_RATES: dict[str, float] = {
    # identity (party)
    "id_wrong_digit": 0.010,
    "id_swapped_digits": 0.006,
    "id_old_cmnd": 0.010,
    "id_missing": 0.010,
    "id_birth_mismatch": 0.005,
    "id_wrong_length": 0.003,
    "id_unknown_province": 0.002,
    "id_shared": 0.002,  # another person's ID (truth: every party sharing an ID)
    "party_duplicate": 0.002,  # the same person recorded twice
    # names (party)
    "name_nfd": 0.010,
    "name_tone_placement": 0.050,  # share of the names that have the other placement
    "name_tcvn3_mojibake": 0.005,
    "name_vni_mojibake": 0.005,
    "name_middle_missing": 0.006,
    "name_middle_misspelled": 0.004,
    "name_ede_reversed": 0.030,  # share of highland-named parties
    "name_missing": 0.002,
    # birth dates (party)
    "birth_day_month_swapped": 0.006,
    "birth_year_only": 0.050,
    "birth_missing": 0.004,
    "birth_impossible": 0.002,
    # registry (person)
    "registry_absent": 0.008,
    # parcels
    "parcel_duplicate_number": 0.003,
    "parcel_missing_sheet": 0.003,
    "parcel_invalid_land_use": 0.004,
    "parcel_area_mismatch": 0.006,
    "parcel_self_intersection": 0.002,
    "parcel_overlap": 0.002,
    "parcel_missing_geometry": 0.002,
    "parcel_sliver": 0.001,
    "parcel_outside_commune": 0.001,
    "parcel_missing_area": 0.002,
    "parcel_area_implausible": 0.002,
    "parcel_missing_land_use": 0.002,
    "asset_on_non_residential": 0.002,
    # certificates and rights
    "certificate_no_digital_data": 0.040,
    "certificate_malformed_serial": 0.004,
    "certificate_missing_serial": 0.003,
    "certificate_duplicate_serial": 0.002,
    "certificate_bad_book_entry": 0.003,
    "certificate_rights_mismatch": 0.01,  # of the later parcels of several-parcel certificates
    "right_shares_not_one": 0.004,
    "parcel_no_owner": 0.003,
}


# How the attribute files are laid out.  ``field_form``: the campaign's 49-column form,
# one row per parcel, with the land system's parcel and owner codes.  ``owner_rows``: a
# land-system export with one row per land user (the parcel's attributes repeated on
# each), camelCase headers, parcels keyed by old commune + scale + sheet + parcel (no
# parcel code, in the map layers neither), no digital-data or VBDLIS status columns;
# one old district as a VNI-encoded ";" CSV.  ``household_lists``: a commune office's
# list, one row per parcel under a title line, household head and spouse side by side
# with a birth year only, no parcel or owner codes (parcels keyed by old commune + scale +
# sheet + parcel, like its map layers).
LAYOUTS = ("field_form", "owner_rows", "household_lists")
Layout = Literal["field_form", "owner_rows", "household_lists"]
# Defects a layout cannot carry: a file keyed by sheet and parcel number has no parcel
# without a sheet, nor two parcels with one number; one without a digital-data column
# has no certificate known to lack digital data.
LAYOUT_WITHOUT: dict[str, frozenset[str]] = {
    "field_form": frozenset(),
    "owner_rows": frozenset(
        {"parcel_missing_sheet", "parcel_duplicate_number", "certificate_no_digital_data"}
    ),
    "household_lists": frozenset(
        {"parcel_missing_sheet", "parcel_duplicate_number", "certificate_no_digital_data"}
    ),
}


class GeneratorConfig(BaseModel):
    """What to generate.  The same config and seed give byte-identical output."""

    parcels: int = Field(20_000, ge=500, le=10_000_000)
    seed: int = Field(42, ge=0)
    defect_scale: float = Field(1.0, ge=0.0, le=20.0)
    defect_rates: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_DEFECT_RATES))
    # Share of registry people who own no land (added on top of the land users).
    registry_extra_share: float = Field(0.10, ge=0.0, le=2.0)
    # Communes in special campaign situations (new-commune names, as in the press).
    not_synced_district: str = "Huyện Cư Kuin"
    no_land_db_commune: str = "Xã Đồng Xuân"
    # The old district whose field forms are exported as a TCVN3-encoded CSV.
    tcvn3_district: str = "Huyện Krông Bông"
    layout: Layout = "field_form"
    # Photos and scans of land users' ID cards written under evidence/ (synth.id_cards).
    id_cards: int = Field(0, ge=0, le=1_000_000)
    # Scans of certificates written under evidence/ (synth.certificate_scans).
    certificate_scans: int = Field(0, ge=0, le=1_000_000)

    def rate(self, defect: str) -> float:
        if defect in LAYOUT_WITHOUT[self.layout]:
            return 0.0
        return min(1.0, self.defect_rates.get(defect, 0.0) * self.defect_scale)
