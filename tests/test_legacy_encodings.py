import shutil
import subprocess
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from landclean.ingest.encodings import decode_bytes
from landclean.vn.legacy_encodings import (
    decode_cp1258,
    decode_tcvn3,
    decode_vni,
    encode_cp1258,
    encode_tcvn3,
    encode_vni,
    tcvn3_mojibake,
    vni_mojibake,
)

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
