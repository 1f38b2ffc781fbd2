"""Report labels in Vietnamese (default) and English, and number formats."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "title": "Báo cáo làm sạch cơ sở dữ liệu đất đai",
        "province": "Tỉnh",
        "generated": "Lập ngày",
        "parcels": "Thửa đất",
        "total": "Tổng số thửa",
        "group1": "Nhóm 1 (sử dụng được)",
        "group2": "Nhóm 2 (cần chỉnh lý, bổ sung, xác thực)",
        "group3": "Nhóm 3 (phải xây dựng lại)",
        "with_uid": "Có mã định danh",
        "findings": "Lỗi phát hiện (đang mở)",
        "rule": "Quy tắc",
        "count": "Số lượng",
        "authentication": "Xác thực người sử dụng đất với CSDL dân cư",
        "users": "Người sử dụng đất",
        "matched": "Đã khớp",
        "matched_after_correction": "Khớp sau khi sửa",
        "review": "Cần xem xét",
        "unmatched": "Chưa khớp",
        "parcels_matched": "Thửa đã xác thực",
        "parcels_unmatched": "Thửa chưa xác thực",
        "reason": "Lý do",
        "regions": "Theo vùng",
        "west": "Phía Tây (Đắk Lắk cũ)",
        "east": "Phía Đông (Phú Yên cũ)",
        "communes": "Theo xã, phường",
        "code": "Mã",
        "name": "Tên đơn vị",
        "region": "Vùng",
        "clean_share": "Tỷ lệ nhóm 1",
        "headline": "{done}/{total} thửa đã số hóa và làm sạch ({pct})",
    },
    "en": {
        "title": "Land database cleaning report",
        "province": "Province",
        "generated": "Generated",
        "parcels": "Parcels",
        "total": "Parcels",
        "group1": "Group 1 (usable)",
        "group2": "Group 2 (needs correction, supplement or authentication)",
        "group3": "Group 3 (unusable, rebuild)",
        "with_uid": "With unique identifier",
        "findings": "Open findings",
        "rule": "Rule",
        "count": "Count",
        "authentication": "Land users authenticated against the population registry",
        "users": "Land users",
        "matched": "Matched",
        "matched_after_correction": "Matched after correction",
        "review": "Review",
        "unmatched": "Unmatched",
        "parcels_matched": "Parcels authenticated",
        "parcels_unmatched": "Parcels not authenticated",
        "reason": "Reason",
        "regions": "By region",
        "west": "West (old Đắk Lắk)",
        "east": "East (old Phú Yên)",
        "communes": "By commune",
        "code": "Code",
        "name": "Unit",
        "region": "Region",
        "clean_share": "Group 1 share",
        "headline": "{done}/{total} plots digitized and cleaned ({pct})",
    },
}

REASONS: dict[str, dict[str, str]] = {
    "vi": {
        "wrong_id_digit": "Sai một chữ số định danh",
        "swapped_digits": "Đảo hai chữ số định danh",
        "old_id_card": "Số CMND cũ",
        "missing_id": "Thiếu số định danh",
        "id_differs": "Số định danh khác",
        "name_differs": "Họ tên khác",
        "tone_encoding_variant": "Chỉ khác dấu thanh / bảng mã",
        "birth_date_differs": "Ngày sinh khác",
        "day_month_swapped": "Đảo ngày và tháng sinh",
        "birth_date_missing": "Thiếu ngày sinh",
        "not_in_registry": "Không có trong CSDL dân cư",
        "several_candidates": "Nhiều người phù hợp",
    },
    "en": {
        "wrong_id_digit": "Wrong ID digit",
        "swapped_digits": "Swapped ID digits",
        "old_id_card": "Old ID card number",
        "missing_id": "Missing ID",
        "id_differs": "ID differs",
        "name_differs": "Name differs",
        "tone_encoding_variant": "Tone/encoding variant only",
        "birth_date_differs": "Birth date differs",
        "day_month_swapped": "Day and month swapped",
        "birth_date_missing": "Birth date missing",
        "not_in_registry": "Not in registry",
        "several_candidates": "Several candidates",
    },
}


def fmt_int(value: int, lang: str) -> str:
    """1234567 -> '1.234.567' (vi) or '1,234,567' (en)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def fmt_pct(part: int, whole: int, lang: str) -> str:
    """Share with two decimals: '91,92 %' (vi) or '91.92 %' (en); '–' when whole is 0."""
    if whole == 0:
        return "–"
    text = f"{100 * part / whole:.2f} %"
    return text.replace(".", ",") if lang == "vi" else text
