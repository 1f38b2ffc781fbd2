"""Validation rules as data: id, titles in Vietnamese and English, target, severity, SQL.

Each rule's SQL selects the offending records as (record_id, parcel_id, details) where
``details`` is a JSON-able struct.  Rules are registered in ``CATALOGUE`` below, the one
place the runner and the docs read.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    rule_id: str
    title_vi: str
    title_en: str
    message_vi: str
    message_en: str
    target: str  # parcel, party, certificate, right
    severity: str  # error, warning, info
    group_impact: int  # the parcel group an open finding implies (2 or 3)
    sql: str
    # a spatial rule's SQL returns a 4th column, the geometry the finding is about
    spatial: bool = False


CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "PARCEL_MISSING_SHEET",
        "Thửa đất thiếu số tờ bản đồ",
        "Parcel without map sheet number",
        "Bổ sung số tờ bản đồ hiện trạng cho thửa đất.",
        "Fill in the current map sheet number of the parcel.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id AS record_id, parcel_id, {'parcel_no': parcel_no} AS details "
        "FROM parcel WHERE sheet_no IS NULL",
    ),
    Rule(
        "PARCEL_MISSING_NUMBER",
        "Thửa đất thiếu số thửa",
        "Parcel without parcel number",
        "Bổ sung số thửa (theo bản đồ hiện trạng) cho thửa đất.",
        "Fill in the parcel's number on the current map.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'sheet_no': sheet_no} FROM parcel WHERE parcel_no IS NULL",
    ),
    Rule(
        "PARCEL_MISSING_GEOMETRY",
        "Thửa đất không có hình thể",
        "Parcel without geometry",
        "Thửa đất có trong hồ sơ nhưng không có trên bản đồ: cần đo đạc, xây dựng lại.",
        "The parcel is in the records but not on the map: survey and rebuild it.",
        "parcel",
        "error",
        3,
        "SELECT parcel_id, parcel_id, {'sheet_no': sheet_no, 'parcel_no': parcel_no} "
        "FROM parcel WHERE geom IS NULL",
    ),
    Rule(
        "PARCEL_INVALID_GEOMETRY",
        "Hình thể thửa đất không hợp lệ",
        "Invalid parcel geometry",
        "Ranh thửa tự cắt hoặc sai cấu trúc: kiểm tra và sửa ranh thửa.",
        "The boundary self-intersects or is malformed: check and fix it.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'vertices': ST_NPoints(geom), "
        "'repaired': COALESCE(geom_repaired, false)}, geom FROM parcel "
        "WHERE geom IS NOT NULL AND (NOT ST_IsValid(geom) OR geom_repaired)",
        spatial=True,
    ),
    Rule(
        "PARCEL_OVERLAP",
        "Thửa đất chồng lấn thửa bên cạnh",
        "Parcel overlaps its neighbours",
        "Ranh thửa chồng lên thửa bên cạnh: kiểm tra, chỉnh lý ranh thửa.",
        "The parcel's boundary overlaps a neighbour's: check and correct the boundary.",
        "parcel",
        "error",
        2,
        # Neighbours of a clean map share edges: ST_Overlaps (interiors cross) is false for
        # them.  Of two overlapping parcels, the one overlapping more neighbours is
        # reported (a shifted parcel overlaps several; each neighbour overlaps only it).
        # overlap_pair is a reference table the runner builds with a spatial join.
        "WITH big AS (SELECT * FROM overlap_pair WHERE area > 0.5), "
        "degree AS (SELECT a AS parcel_id, count(*) AS n FROM big GROUP BY a) "
        "SELECT p.a, p.a, {'overlaps': list(p.b ORDER BY p.b), "
        "'area': round(sum(p.area), 2)}, ST_Union_Agg(p.g) FROM big p "
        "JOIN degree da ON da.parcel_id = p.a JOIN degree db ON db.parcel_id = p.b "
        "GROUP BY p.a HAVING bool_or(da.n >= db.n)",
        spatial=True,
    ),
    Rule(
        "PARCEL_NO_OWNER",
        "Thửa đất chưa có chủ sử dụng",
        "Parcel without a land user",
        "Bổ sung thông tin người sử dụng đất.",
        "Record who uses the parcel.",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'sheet_no': p.sheet_no, 'parcel_no': p.parcel_no} "
        "FROM parcel p WHERE NOT EXISTS (SELECT 1 FROM land_right r "
        "WHERE r.parcel_id = p.parcel_id)",
    ),
    Rule(
        "PARCEL_DUPLICATE_NUMBER",
        "Trùng số thửa trong tờ bản đồ",
        "Duplicate parcel number in a map sheet",
        "Hai thửa cùng số trong cùng tờ bản đồ và tỷ lệ: kiểm tra, đánh lại số thửa.",
        "Two parcels share a number in one sheet and scale: check and renumber.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'old_unit_code': old_unit_code, 'sheet_no': sheet_no, "
        "'scale': scale, 'parcel_no': parcel_no} FROM parcel "
        "WHERE sheet_no IS NOT NULL AND parcel_no IS NOT NULL "
        "QUALIFY count(*) OVER (PARTITION BY old_unit_code, sheet_no, scale, parcel_no) > 1",
    ),
    Rule(
        "LAND_USE_INVALID_CODE",
        "Mã loại đất không hợp lệ",
        "Invalid land-use code",
        "Mã loại đất không có trong bảng mã (TT 08/2024 và mã cũ): sửa lại.",
        "The land-use code is in neither the current nor the legacy table: correct it.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'code': code_raw, 'seq': seq} FROM parcel_land_use "
        "WHERE code NOT IN (SELECT code FROM land_use_code) "
        "QUALIFY row_number() OVER (PARTITION BY parcel_id ORDER BY seq) = 1",
    ),
    Rule(
        "AREA_MISMATCH",
        "Diện tích pháp lý lệch diện tích hình thể",
        "Legal area differs from geometry area",
        "Diện tích pháp lý khác diện tích đo trên bản đồ vượt sai số cho phép theo tỷ lệ.",
        "The legal area differs from the map area by more than the scale's tolerance.",
        "parcel",
        "warning",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'legal_area': p.legal_area, "
        "'geometry_area': round(ST_Area(p.geom), 1), 'tolerance': t.tolerance} "
        "FROM parcel p JOIN area_tolerance t ON t.scale = p.scale "
        "WHERE p.geom IS NOT NULL AND ST_IsValid(p.geom) AND NOT COALESCE(p.geom_repaired, false) "
        "AND p.legal_area > 0 AND p.legal_area <= 20 * ST_Area(p.geom) "
        "AND p.legal_area * 20 >= ST_Area(p.geom) "
        "AND p.parcel_id NOT IN (SELECT parcel_id FROM parcel_shape WHERE sliver) "
        "AND abs(p.legal_area - ST_Area(p.geom)) > t.tolerance * p.legal_area",
    ),
    Rule(
        "RIGHT_SHARES_NOT_ONE",
        "Tổng tỷ lệ quyền khác 1",
        "Rights shares do not sum to 1",
        "Tổng tỷ lệ quyền sử dụng của các đồng sử dụng phải bằng 1.",
        "The shares of all co-users of a parcel must add up to 1.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'total_share': round(sum(share), 4)} FROM land_right "
        "GROUP BY parcel_id HAVING abs(sum(share) - 1) > 0.0001",
    ),
    Rule(
        "CERT_SERIAL_FORMAT",
        "Số phát hành GCN sai định dạng",
        "Certificate serial in the wrong format",
        "Số phát hành phải gồm 2 chữ cái và 6 chữ số (mẫu cũ) hoặc 8 chữ số (mẫu 2024).",
        "A serial is 2 letters and 6 digits (old forms) or 8 digits (2024 form).",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial_raw} FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE c.serial IS NOT NULL AND c.form_version = 'unknown'",
    ),
    Rule(
        "CERT_NO_DIGITAL_DATA",
        "GCN đã cấp nhưng chưa có dữ liệu số",
        "Certificate issued but without digital data",
        "Thu thập bản GCN, quét và nhập dữ liệu vào cơ sở dữ liệu.",
        "Collect the certificate, scan it and enter its data.",
        "certificate",
        "warning",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial} FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) WHERE c.digital_status = 'paper_only'",
    ),
    Rule(
        "PARTY_MISSING_ID",
        "Cá nhân thiếu số định danh",
        "Individual without an ID number",
        "Bổ sung số CCCD (12 số) của người sử dụng đất.",
        "Record the land user's 12-digit citizen ID.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'name': p.full_name} FROM party p "
        "JOIN land_right r USING (party_id) "
        "WHERE p.party_type IN ('individual', 'household') AND p.id_number IS NULL",
    ),
    Rule(
        "PARTY_ID_BIRTH_MISMATCH",
        "Số CCCD không khớp năm sinh hoặc giới tính",
        "ID number contradicts birth year or sex",
        "Chữ số thứ 4 (thế kỷ, giới tính) hoặc chữ số 5-6 (năm sinh) của số CCCD mâu thuẫn "
        "với năm sinh, giới tính đã ghi: kiểm tra lại.",
        "The 4th digit (century and sex) or digits 5-6 (birth year) of the citizen ID "
        "contradict the recorded birth year or sex: check them.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'birth_year': p.birth_year, "
        "'sex': p.sex} FROM party p JOIN land_right r USING (party_id) "
        "WHERE p.id_type = 'CCCD' AND p.birth_year IS NOT NULL AND p.sex IS NOT NULL "
        "AND p.birth_year BETWEEN 1900 AND year(current_date) "
        "AND (CAST(substr(p.id_number, 4, 1) AS INTEGER) <> (p.birth_year // 100 - 19) * 2 "
        "+ CASE p.sex WHEN 'F' THEN 1 ELSE 0 END "
        "OR substr(p.id_number, 5, 2) <> lpad(CAST(p.birth_year % 100 AS VARCHAR), 2, '0'))",
    ),
    Rule(
        "PARTY_ID_UNKNOWN_PROVINCE",
        "Số CCCD có mã tỉnh không tồn tại",
        "ID number with an unknown province code",
        "Ba chữ số đầu của số CCCD phải là mã tỉnh nơi đăng ký khai sinh.",
        "The first three digits of a citizen ID are the birth-registration province code.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number} FROM party p "
        "JOIN land_right r USING (party_id) WHERE p.id_type = 'CCCD' "
        "AND substr(p.id_number, 1, 3) NOT IN (SELECT code FROM cccd_province)",
    ),
    Rule(
        "CERT_BOOK_ENTRY_FORMAT",
        "Số vào sổ cấp GCN sai định dạng",
        "Certificate book-entry number in the wrong format",
        "Số vào sổ gồm tiền tố (CH, CS, CT, CN, VP …) và các chữ số.",
        "A book-entry number is a prefix (CH, CS, CT, CN, VP …) followed by digits.",
        "certificate",
        "warning",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'book_entry_no': c.book_entry_no} "
        "FROM certificate c JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE c.book_entry_no IS NOT NULL AND NOT regexp_full_match(upper(c.book_entry_no), "
        "'(CH|CS|CT|CN|VP|H|T)[ .]*[0-9][0-9 .]*')",
    ),
    Rule(
        "PARCEL_MISSING_AREA",
        "Thửa đất thiếu diện tích pháp lý",
        "Parcel without a legal area",
        "Bổ sung diện tích pháp lý của thửa đất.",
        "Record the parcel's legal area.",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'legal_area': legal_area_raw} FROM parcel "
        "WHERE legal_area IS NULL",
    ),
    Rule(
        "PARCEL_MISSING_LAND_USE",
        "Thửa đất thiếu loại đất",
        "Parcel without a land-use code",
        "Bổ sung loại đất (mục đích sử dụng) của thửa đất.",
        "Record the parcel's land-use code.",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'sheet_no': p.sheet_no} FROM parcel p "
        "WHERE NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = p.parcel_id)",
    ),
    Rule(
        "PARTY_MISSING_NAME",
        "Người sử dụng đất thiếu họ tên",
        "Land user without a name",
        "Bổ sung họ tên người sử dụng đất.",
        "Record the land user's name.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number} FROM party p "
        "JOIN land_right r USING (party_id) WHERE p.full_name IS NULL",
    ),
    Rule(
        "CERT_MISSING_SERIAL",
        "GCN thiếu số phát hành",
        "Certificate without a serial",
        "Bổ sung số phát hành (số seri) của GCN.",
        "Record the certificate's serial.",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'book_entry_no': c.book_entry_no} "
        "FROM certificate c JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE c.serial IS NULL",
    ),
    Rule(
        "CERT_DUPLICATE_SERIAL",
        "Trùng số phát hành GCN",
        "Duplicate certificate serial",
        "Hai GCN khác nhau cùng một số phát hành: kiểm tra lại.",
        "Two different certificates carry the same serial: check them.",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial} FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) WHERE c.serial IS NOT NULL "
        "QUALIFY count(DISTINCT c.certificate_id) OVER (PARTITION BY c.serial) > 1",
    ),
    Rule(
        "ASSET_ON_NON_RESIDENTIAL",
        "Nhà ở trên thửa đất không phải đất ở",
        "House on a non-residential parcel",
        "Thửa có nhà ở nhưng không có loại đất ở (ONT, ODT): kiểm tra loại đất hoặc tài sản.",
        "The parcel has a house but no residential land use (ONT, ODT): check either.",
        "parcel",
        "warning",
        2,
        "SELECT a.parcel_id, a.parcel_id, {'asset_type': a.asset_type} FROM asset a "
        "WHERE EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id) "
        "AND NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id "
        "AND u.code IN ('ONT', 'ODT')) "
        "AND NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id "
        "AND u.code NOT IN (SELECT code FROM land_use_code))",
    ),
    Rule(
        "PARCEL_NOT_SYNCED",
        "Thửa đất chưa đồng bộ VBDLIS",
        "Parcel not synchronized with VBDLIS",
        "Thửa đất chưa được tích hợp vào hệ thống VBDLIS.",
        "The parcel is not yet integrated into VBDLIS.",
        "parcel",
        "info",
        1,
        "SELECT parcel_id, parcel_id, {'unit_code': unit_code} FROM parcel "
        "WHERE vbdlis_synced = false",
    ),
    Rule(
        "PARTY_ID_WRONG_LENGTH",
        "Số giấy tờ tùy thân sai độ dài",
        "ID number of the wrong length",
        "Số CCCD có 12 chữ số, số CMND cũ có 9 chữ số: kiểm tra lại số đã ghi.",
        "A citizen ID has 12 digits, an old ID card 9: check the number recorded.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, "
        "'digits': length(p.id_number)} FROM party p JOIN land_right r USING (party_id) "
        "WHERE p.party_type IN ('individual', 'household') AND p.id_type = 'other'",
    ),
    Rule(
        "PARTY_MISSING_BIRTH",
        "Cá nhân thiếu năm sinh",
        "Individual without a birth year",
        "Bổ sung ngày sinh (ít nhất năm sinh) của người sử dụng đất.",
        "Record the land user's birth date (at least the year).",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'name': p.full_name, 'birth': p.birth_raw} "
        "FROM party p JOIN land_right r USING (party_id) "
        "WHERE p.party_type IN ('individual', 'household') AND p.birth_year IS NULL "
        "AND NULLIF(trim(p.birth_raw), '') IS NULL",
    ),
    Rule(
        "PARTY_IMPOSSIBLE_BIRTH_DATE",
        "Ngày sinh không thể có",
        "Impossible birth date",
        "Ngày sinh ở tương lai, trước năm 1900, hoặc không phải là ngày: kiểm tra lại.",
        "The birth date is in the future, before 1900, or not a date at all: check it.",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'birth': p.birth_raw} "
        "FROM party p JOIN land_right r USING (party_id) "
        "WHERE p.birth_date > current_date OR p.birth_year > year(current_date) "
        "OR p.birth_year < 1900 OR (p.party_type IN ('individual', 'household') "
        "AND p.birth_year IS NULL AND NULLIF(trim(p.birth_raw), '') IS NOT NULL)",
    ),
    Rule(
        "PARTY_SAME_ID_DIFFERENT_PEOPLE",
        "Một số định danh cho nhiều người khác nhau",
        "One ID number for different people",
        "Cùng một số giấy tờ nhưng họ tên hoặc ngày sinh khác nhau: xác định số đúng của "
        "từng người.",
        "The same ID number with different names or birth dates: find each person's own number.",
        "party",
        "error",
        2,
        "WITH g AS (SELECT id_number, list(DISTINCT party_id ORDER BY party_id) AS parties "
        "FROM party_identity GROUP BY id_number "
        "HAVING count(DISTINCT name_key || '|' || birth_key) > 1) "
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'parties': g.parties} "
        "FROM party_identity p JOIN g USING (id_number) JOIN land_right r USING (party_id)",
    ),
    Rule(
        "PARTY_DUPLICATE",
        "Một người được ghi hai lần",
        "The same person recorded twice",
        "Hai bản ghi người sử dụng đất cùng số giấy tờ, họ tên, ngày sinh: gộp thành một.",
        "Two land-user records with the same ID number, name and birth date: merge them.",
        "party",
        "warning",
        2,
        "WITH g AS (SELECT id_number, name_key, birth_key, "
        "list(party_id ORDER BY party_id) AS parties FROM party_identity "
        "GROUP BY ALL HAVING count(*) > 1) "
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'parties': g.parties} "
        "FROM party_identity p JOIN g USING (id_number, name_key, birth_key) "
        "JOIN land_right r USING (party_id)",
    ),
    Rule(
        "PARCEL_AREA_IMPLAUSIBLE",
        "Diện tích thửa đất không hợp lý",
        "Implausible parcel area",
        "Diện tích pháp lý bằng 0, âm, hoặc gấp hơn 20 lần (hay nhỏ hơn 1/20) diện tích "
        "trên bản đồ: kiểm tra đơn vị và dấu thập phân.",
        "The legal area is zero, negative, or over 20 times (or under 1/20 of) the map "
        "area: check the unit and the decimal separator.",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'legal_area': p.legal_area, "
        "'geometry_area': round(s.area, 1)} FROM parcel p "
        "LEFT JOIN parcel_shape s USING (parcel_id) WHERE p.legal_area <= 0 "
        "OR p.legal_area > 10000000 OR (s.area > 0 AND NOT s.sliver "
        "AND (p.legal_area > 20 * s.area OR p.legal_area * 20 < s.area))",
    ),
    Rule(
        "PARCEL_SLIVER",
        "Thửa đất dạng mảnh vụn",
        "Sliver parcel",
        "Thửa đất hẹp bất thường (dải mảnh): kiểm tra ranh thửa và các thửa liền kề.",
        "The parcel is an abnormally thin strip: check its boundary and its neighbours'.",
        "parcel",
        "error",
        2,
        "SELECT s.parcel_id, s.parcel_id, {'area': round(s.area, 2), "
        "'compactness': round(s.compactness, 3)}, p.geom FROM parcel_shape s "
        "JOIN parcel p USING (parcel_id) WHERE s.sliver",
        spatial=True,
    ),
    Rule(
        "PARCEL_OUTSIDE_COMMUNE",
        "Thửa đất nằm ngoài phạm vi xã",
        "Parcel outside its commune",
        "Vị trí thửa đất nằm ngoài phạm vi của xã (theo dữ liệu địa giới hành chính): "
        "kiểm tra hệ tọa độ (múi chiếu, độ lệch 500 km) của bản đồ.",
        "The parcel lies outside its commune's extent (from the administrative data): check "
        "the map's coordinate system (zone, 500 km false easting).",
        "parcel",
        "error",
        2,
        "SELECT s.parcel_id, s.parcel_id, {'x': round(s.cx), 'y': round(s.cy), "
        "'commune': p.old_unit_code}, p.geom FROM parcel_shape s JOIN parcel p USING (parcel_id) "
        "JOIN commune_extent e USING (old_unit_code) "
        "WHERE NOT (s.cx BETWEEN e.x0 AND e.x1 AND s.cy BETWEEN e.y0 AND e.y1) "
        "AND (e.px0 IS NULL OR NOT (s.cx BETWEEN e.px0 AND e.px1 "
        "AND s.cy BETWEEN e.py0 AND e.py1))",
        spatial=True,
    ),
    Rule(
        "SHEET_GAP",
        "Tờ bản đồ có khoảng hở giữa các thửa",
        "Gap between parcels inside a map sheet",
        "Có vùng trống giữa các thửa trong tờ bản đồ (thửa thiếu, bị dịch, bị co): kiểm tra "
        "các thửa quanh khoảng hở.",
        "An empty area between parcels inside the sheet (a parcel missing, moved or shrunk): "
        "check the parcels around the gap.",
        "sheet",
        "warning",
        2,
        # holes of the sheet's union: rings inside the parcels' outer boundary
        "SELECT sheet_key, NULL, {'commune': any_value(old_unit_code), "
        "'sheet': any_value(sheet_no), 'scale': any_value(scale), 'gaps': count(*), "
        "'area': round(sum(ST_Area(hole)), 1)}, ST_Collect(list(hole)) "
        "FROM sheet_hole GROUP BY sheet_key",
        spatial=True,
    ),
    Rule(
        "CERT_RIGHTS_MISMATCH",
        "GCN không khớp với người có quyền trên thửa",
        "Certificate disagrees with the parcels' rights",
        "Các thửa trên cùng một GCN có người sử dụng đất khác nhau: kiểm tra biến động "
        "(chuyển nhượng, thừa kế) chưa được chỉnh lý trên GCN.",
        "The parcels of one certificate have different land users: look for a transfer or "
        "inheritance not yet recorded on the certificate.",
        "certificate",
        "error",
        2,
        "WITH holders AS (SELECT cp.certificate_id, cp.parcel_id, "
        "COALESCE(string_agg(r.party_id, ',' ORDER BY r.party_id), '') AS parties "
        "FROM certificate_parcel cp LEFT JOIN land_right r USING (parcel_id) "
        "GROUP BY cp.certificate_id, cp.parcel_id) "
        "SELECT certificate_id, min(parcel_id), {'parcels': list(parcel_id ORDER BY parcel_id), "
        "'land_users': list(DISTINCT parties ORDER BY parties)} FROM holders "
        "GROUP BY certificate_id HAVING count(DISTINCT parties) > 1",
    ),
    Rule(
        "PARCEL_COMMUNE_UNCERTAIN",
        "Chưa xác định được xã mới của thửa đất",
        "New commune of the parcel not certain",
        "Xã cũ đã chia cho nhiều xã mới và vị trí thửa không đủ để xác định xã mới: cán bộ "
        "xác định xã mới để sắp xếp lại tờ bản đồ.",
        "The old commune was split between new communes and the parcel's location does not "
        "decide: a person must say which new commune holds it before its sheet is renumbered.",
        "parcel",
        "warning",
        2,
        "SELECT parcel_id, parcel_id, {'placement': placement, 'old_commune': old_unit_code} "
        "FROM parcel WHERE placement IN ('ambiguous', 'no_location', 'unknown_commune')",
    ),
    Rule(
        "PARCEL_UID_COLLISION",
        "Trùng mã định danh thửa đất",
        "Parcel identifier shared with another parcel",
        "Hai thửa có cùng mã định danh (GeoHash 12 ký tự): kiểm tra thửa trùng hoặc chồng hình.",
        "Two parcels share one identifier (12-character GeoHash): look for a duplicated or "
        "stacked parcel.",
        "parcel",
        "error",
        2,
        "SELECT c.parcel_id, c.parcel_id, {'uid': c.uid, 'parcels': (SELECT list(o.parcel_id "
        "ORDER BY o.parcel_id) FROM uid_collision o WHERE o.uid = c.uid)} FROM uid_collision c",
    ),
)


def rule_by_id(rule_id: str) -> Rule:
    for rule in CATALOGUE:
        if rule.rule_id == rule_id:
            return rule
    raise KeyError(rule_id)
