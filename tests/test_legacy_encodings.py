import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landclean.ingest.encodings import decode_bytes, sniff_encoding, transcode_to_utf8
from landclean.vn.legacy_encodings import (
    decode_cp1258,
    decode_legacy,
    decode_tcvn3,
    decode_vni,
    decode_vni_glyphs,
    encode_cp1258,
    encode_tcvn3,
    encode_vni,
    tcvn3_mojibake,
    vni_mojibake,
)
from landclean.vn.names import decode_mojibake, has_mojibake_marks, standard_name

LOWER = "aáàảãạăắằẳẵặâấầẩẫậeéèẻẽẹêếềểễệiíìỉĩịoóòỏõọôốồổỗộơớờởỡợuúùủũụưứừửữựyýỳỷỹỵđ"
ALPHABET = LOWER + LOWER.upper() + "bcghklmnpqrstvx BCGHKLMNPQRSTVX'"
vietnamese_text = st.text(alphabet=ALPHABET, min_size=1, max_size=40)


def test_known_mojibake() -> None:
    assert tcvn3_mojibake("Bảo Thắng") == "B¶o Th¾ng"
    assert vni_mojibake("chào") == "chaøo"
    assert vni_mojibake("Việt Nam") == "Vieät Nam"


@given(vietnamese_text)
def test_tcvn3_round_trip(text: str) -> None:
    assert decode_tcvn3(encode_tcvn3(text)) == unicodedata.normalize("NFC", text)


@given(vietnamese_text)
def test_cp1258_round_trip(text: str) -> None:
    assert decode_cp1258(encode_cp1258(text)) == unicodedata.normalize("NFC", text)


@given(vietnamese_text)
def test_vni_round_trip(text: str) -> None:
    assert decode_vni(encode_vni(text)) == unicodedata.normalize("NFC", text)


@pytest.mark.skipif(shutil.which("iconv") is None, reason="iconv not installed")
def test_tcvn3_table_agrees_with_glibc_iconv() -> None:
    """An independent implementation: glibc's TCVN5712-1 decoder."""
    text = LOWER + LOWER.upper()
    encoded = encode_tcvn3(text)
    out = subprocess.run(
        ["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=encoded, capture_output=True, check=True
    ).stdout.decode()
    assert unicodedata.normalize("NFC", out) == text


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "cp1258", "utf-8", "utf-16"])
def test_encoding_detection(encoding: str) -> None:
    text = "Họ tên,Số thửa\nNguyễn Thị Ánh Tuyết,12\nĐặng Văn Hùng,13\nY Bih Niê,14\n"
    data = {
        "tcvn3": lambda: encode_tcvn3(text),
        "vni": lambda: encode_vni(text),
        "cp1258": lambda: encode_cp1258(text),
        "utf-8": lambda: text.encode("utf-8"),
        "utf-16": lambda: text.encode("utf-16"),
    }[encoding]()
    decoded, found = decode_bytes(data)
    assert decoded == text
    assert found.startswith(encoding.split("-")[0])


# ---------------------------------------------------------------- VNI: toned i and y

# VNI fonts have one byte for a toned i and for ỵ; some typing tools write the letter
# followed by the tone byte of the other vowels instead.  Written out by hand from the
# VNI Windows code chart: (one byte, letter + tone bytes, the letter).
VNI_I_Y_FORMS = [
    (b"\xec", b"i\xf8", "ì"),
    (b"\xed", b"i\xf9", "í"),
    (b"\xe6", b"i\xfb", "ỉ"),
    (b"\xf3", b"i\xf5", "ĩ"),
    (b"\xf2", b"i\xef", "ị"),
    (b"\xee", b"y\xef", "ỵ"),
    (b"\xcc", b"I\xd8", "Ì"),
    (b"\xcd", b"I\xd9", "Í"),
    (b"\xc6", b"I\xdb", "Ỉ"),
    (b"\xd3", b"I\xd5", "Ĩ"),
    (b"\xd2", b"I\xcf", "Ị"),
    (b"\xce", b"Y\xcf", "Ỵ"),
]
# A capital followed by the lower-case tone byte.
VNI_MIXED_CASE = [
    (b"I\xf8", "Ì"),
    (b"I\xf9", "Í"),
    (b"I\xfb", "Ỉ"),
    (b"I\xf5", "Ĩ"),
    (b"I\xef", "Ị"),
    (b"Y\xf8", "Ỳ"),
    (b"Y\xf9", "Ý"),
    (b"Y\xfb", "Ỷ"),
    (b"Y\xf5", "Ỹ"),
    (b"Y\xef", "Ỵ"),
]


@pytest.mark.parametrize(("single", "separate", "letter"), VNI_I_Y_FORMS)
def test_vni_toned_i_y_both_forms(single: bytes, separate: bytes, letter: str) -> None:
    assert decode_vni(single) == letter
    assert decode_vni(separate) == letter
    assert decode_vni(b"x" + separate + b"nh") == f"x{letter}nh"
    assert decode_vni_glyphs(separate.decode("cp1252")) == letter
    assert encode_vni(letter) == single  # encoding keeps the one-byte form


@pytest.mark.parametrize(("data", "letter"), VNI_MIXED_CASE)
def test_vni_capital_with_lower_case_tone(data: bytes, letter: str) -> None:
    assert decode_vni(data) == letter


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"Nguye\xe3n Thi\xef Thu\xf9y", "Nguyễn Thị Thúy"),
        (b"Nguye\xe3n Th\xf2 Thu\xf9y", "Nguyễn Thị Thúy"),
        (b"NGUYE\xc3N THI\xcf THU\xd9Y", "NGUYỄN THỊ THÚY"),
        (b"Ly\xf9 Thi\xef My\xef", "Lý Thị Mỵ"),
        (b"Tra\xe0n Ky\xf8 Vi\xf5", "Trần Kỳ Vĩ"),
        (b"Y\xfb Lan, I\xf9ch Ha\xe4u, Ngh\xe6 ng\xf4i", "Ỷ Lan, Ích Hậu, Nghỉ ngơi"),
        (b"chi\xfb, ki\xf8a, ti\xf5nh, thu\xfby", "chỉ, kìa, tĩnh, thủy"),
    ],
)
def test_vni_names_with_either_form(data: bytes, text: str) -> None:
    decoded = decode_vni(data)
    assert decoded == text
    assert unicodedata.is_normalized("NFC", decoded)
    assert decode_legacy(data, "vni") == text


def test_vni_canonical_form_is_written() -> None:
    assert encode_vni("Nguyễn Thị Thúy") == b"Nguye\xe3n Th\xf2 Thu\xf9y"
    assert encode_vni("Lý Thị Mỵ") == b"Ly\xf9 Th\xf2 M\xee"


def _separate_i_y(data: bytes, mixed_case: bool) -> bytes:
    """Rewrite every one-byte toned i or ỵ of VNI bytes as letter + tone byte (with the
    lower-case tone byte after a capital when ``mixed_case``)."""
    forms = {single[0]: separate for single, separate, _ in VNI_I_Y_FORMS}
    if mixed_case:  # the tone byte in lower case: "IØ" -> "Iø"
        for byte, sep in forms.items():
            forms[byte] = sep[:1] + sep[1:].decode("cp1252").lower().encode("cp1252")
    return b"".join(forms.get(byte, bytes([byte])) for byte in data)


VOWELS_I_Y = "iíìỉĩịyýỳỷỹỵ"
vietnamese_words = st.lists(
    st.text(alphabet=ALPHABET.replace(" ", "") + VOWELS_I_Y * 3, min_size=1, max_size=8),
    min_size=1,
    max_size=6,
).map(" ".join)


@given(vietnamese_words, st.booleans())
def test_vni_separate_i_y_round_trip(text: str, mixed_case: bool) -> None:
    data = _separate_i_y(encode_vni(text), mixed_case)
    decoded = decode_vni(data)
    assert decoded == unicodedata.normalize("NFC", text)
    assert unicodedata.is_normalized("NFC", decoded)
    assert decode_vni_glyphs(data.decode("cp1252")) == decoded


# A CSV export typed with the separate tone bytes on i and y, written by hand.
VNI_SEPARATE_CSV = (
    b"Ho\xef te\xe2n,So\xe1 th\xf6\xfba,\xd1i\xefa chi\xfb\r\n"
    b"Nguye\xe3n Thi\xef Thu\xf9y,12,Xa\xf5 My\xf5 Ly\xf9\r\n"
    b"Ly\xf9 Thi\xef My\xef,13,Thi\xef tra\xe1n Ky\xf8 Anh\r\n"
    b"\xd1a\xebng Va\xean Chi\xf9,14,Ph\xf6\xf4\xf8ng Ho\xf8a Bi\xf8nh\r\n"
    b"TRA\xc0N THI\xcf LY\xd9,15,Xa\xf5 I\xf9ch Ha\xe4u\r\n"
)
VNI_SEPARATE_CSV_TEXT = (
    "Họ tên,Số thửa,Địa chỉ\r\n"
    "Nguyễn Thị Thúy,12,Xã Mỹ Lý\r\n"
    "Lý Thị Mỵ,13,Thị trấn Kỳ Anh\r\n"
    "Đặng Văn Chí,14,Phường Hòa Bình\r\n"
    "TRẦN THỊ LÝ,15,Xã Ích Hậu\r\n"
)


def test_vni_file_with_separate_tones_is_sniffed_and_decoded(tmp_path: Path) -> None:
    assert encode_vni(VNI_SEPARATE_CSV_TEXT) != VNI_SEPARATE_CSV  # not the one-byte form
    assert sniff_encoding(VNI_SEPARATE_CSV, complete=True) == "vni"
    assert decode_bytes(VNI_SEPARATE_CSV) == (VNI_SEPARATE_CSV_TEXT, "vni")
    src, dst = tmp_path / "parties.csv", tmp_path / "parties.utf8.csv"
    src.write_bytes(VNI_SEPARATE_CSV)
    transcode_to_utf8(src, dst, "vni")
    assert dst.read_bytes().decode("utf-8") == VNI_SEPARATE_CSV_TEXT


@pytest.mark.parametrize(
    ("shown", "text"),
    [
        ("Nguyeãn Thiï Thuùy", "Nguyễn Thị Thúy"),
        ("Phan Thu Triù", "Phan Thu Trí"),
        ("Ñaëng Thiï Kyø", "Đặng Thị Kỳ"),
        ("Hoaøng Myõ Linh", "Hoàng Mỹ Linh"),
        ("LYÙ THIÏ MYÏ", "LÝ THỊ MỴ"),
        ("Iùch Lyù", "Ích Lý"),
    ],
)
def test_vni_mojibake_with_separate_tones(shown: str, text: str) -> None:
    assert has_mojibake_marks(shown)
    assert decode_mojibake(shown) == text
    assert standard_name(shown) == standard_name(text)
