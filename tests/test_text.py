import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from landclean.vn.text import (
    ascii_key,
    clean_label,
    compact_key,
    strip_tones,
    title_case,
    to_old_tone_placement,
    tone_key,
)

SYLLABLES = ["Hòa", "Thủy", "Khỏe", "Nguyễn", "Thị", "Đặng", "Quý", "Thúy", "Hoàng", "Ánh", "Lộc"]


def test_tone_placement_variants_share_a_key() -> None:
    assert to_old_tone_placement("Hòa Thủy Khỏe") == "Hoà Thuỷ Khoẻ"
    assert to_old_tone_placement("Hoàng Quý") == "Hoàng Quý"  # nothing to move
    assert tone_key("Hoà") == tone_key("Hòa")
    assert tone_key("Hòa") != tone_key("Hóa")


def test_ascii_key_handles_d_with_stroke() -> None:
    assert ascii_key("Đắk Lắk") == "dak lak"
    assert compact_key("Phường  Buôn Ma Thuột") == "phuongbuonmathuot"
    assert strip_tones("Đắk Lắk") == "Đăk Lăk"


def test_labels_and_title_case() -> None:
    assert clean_label("Phường  Tân An ") == "Phường Tân An"
    assert clean_label("Xã Ea H’leo") == "Xã Ea H'leo"
    assert title_case("h'hen  NIÊ") == "H'Hen Niê"
    assert title_case("nguyễn văn ánh") == "Nguyễn Văn Ánh"


@given(st.lists(st.sampled_from(SYLLABLES), min_size=1, max_size=4))
def test_tone_key_ignores_placement_and_normal_form(words: list[str]) -> None:
    name = " ".join(words)
    assert tone_key(to_old_tone_placement(name)) == tone_key(name)
    assert tone_key(unicodedata.normalize("NFD", name)) == tone_key(name)
