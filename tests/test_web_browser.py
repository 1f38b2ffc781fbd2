"""The campaign server in a real browser (Playwright for Python driving the Chromium of
the operating system's packages, which ``make test`` installs; nothing is downloaded at
run time): log in by role, correct a finding's value and see it close, a second
officer's stale form gets the conflict with both values, a leader's pages hold no ID.
Screenshots of the dashboard and a commune page are kept in build/test-artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.test_report_screenshots import _chromium
from tests.web import PASSWORDS, Served, running, serve_copy

ARTIFACTS = Path(__file__).parents[1] / "build" / "test-artifacts" / "screenshots"
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture(scope="module")
def site(
    built_workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, str]]:
    served = serve_copy(built_workspace, tmp_path_factory.mktemp("browser"))
    with running(served) as url:
        yield served, url
    served.server.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


def _log_in(browser: object, url: str, who: str) -> object:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{url}/")
    assert "/login" in page.url  # a stranger is sent to the login page
    page.fill("input[name=login]", who)
    page.fill("input[name=password]", PASSWORDS[who])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def test_a_wrong_password_stays_on_the_login_page(
    site: tuple[Served, str], browser: object
) -> None:
    _, url = site
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{url}/login")
    page.fill("input[name=login]", "tinh")
    page.fill("input[name=password]", "khong-phai-mat-khau")
    page.click("button[type=submit]")
    assert page.locator("p.error").is_visible()
    assert "/login" in page.url
    page.close()


def test_a_commune_officer_fixes_a_finding_and_sees_it_close(
    site: tuple[Served, str], browser: object
) -> None:
    served, url = site
    parcel, area = served.area_mismatch()
    page = _log_in(browser, url, "xa")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server_dashboard_commune.png"), full_page=True)
    page.goto(f"{url}/communes/{served.commune}")
    assert page.locator("h1").inner_text().strip()
    page.screenshot(path=str(ARTIFACTS / "server_commune.png"))
    # a second officer opens the same record before the first saves
    other = _log_in(browser, url, "xa")
    other.goto(f"{url}/records/parcel/{parcel}")
    page.goto(f"{url}/records/parcel/{parcel}")
    state = page.locator("td.finding-state[data-rule=AREA_MISMATCH]")
    assert state.inner_text().strip() == "đang mở"
    row = page.locator("#field-legal_area")
    row.locator("input[name=value]").fill(f"{area:.1f}".replace(".", ","))
    row.locator("input[name=note]").fill("đo đạc lại")
    row.locator("button").click()
    expect(page.locator("#result-legal_area")).to_contain_text("Đã lưu", timeout=10_000)
    # the findings reload while the re-check runs, and show the finding closed
    page.wait_for_function(
        "() => { const c = document.querySelector("
        "'td.finding-state[data-rule=AREA_MISMATCH]'); return c && "
        "c.textContent.trim() === 'đã khắc phục'; }",
        timeout=120_000,
    )
    # the second officer's form was based on the old value: 409, both values shown
    row = other.locator("#field-legal_area")
    row.locator("input[name=value]").fill("999")
    row.locator("button").click()
    conflict = other.locator("#result-legal_area .conflict")
    expect(conflict).to_be_visible(timeout=10_000)
    text = conflict.inner_text()
    assert "999" in text and f"{area:.1f}".rstrip("0").rstrip(".") in text
    with served.server.view() as ws:
        now = ws.scalar("SELECT legal_area FROM parcel WHERE parcel_id = ?", [parcel])
    assert float(now) == pytest.approx(area)  # type: ignore[arg-type]
    page.context.close()
    other.context.close()


def test_a_commune_officer_cannot_open_another_communes_page(
    site: tuple[Served, str], browser: object
) -> None:
    served, url = site
    page = _log_in(browser, url, "xa")
    answer = page.goto(f"{url}/communes/{served.other}")
    assert answer is not None and answer.status == 403
    page.context.close()


def test_a_leaders_pages_hold_no_id_number(site: tuple[Served, str], browser: object) -> None:
    served, url = site
    page = _log_in(browser, url, "lanhdao")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server_dashboard.png"), full_page=True)
    assert page.locator("#communes tr").count() > 50  # every commune, ranked
    assert not TWELVE_DIGITS.search(page.content())
    for path in (
        f"/communes/{served.commune}",
        f"/communes/{served.commune}/review",
        "/search?q=Nguy",
        "/proposals",
        "/jobs",
    ):
        answer = page.goto(f"{url}{path}")
        assert answer is not None and answer.status == 403, path
        assert not TWELVE_DIGITS.search(page.content())
    page.context.close()


def test_a_province_officer_runs_a_job_and_watches_it(
    site: tuple[Served, str], browser: object
) -> None:
    _, url = site
    page = _log_in(browser, url, "tinh")
    page.goto(f"{url}/jobs")
    page.locator("form:has(input[value=run]) button").first.click()
    page.wait_for_url(f"{url}/jobs")
    mine = page.locator("#jobs tr.job-done", has_text="tinh")
    expect(mine.first).to_be_visible(timeout=120_000)  # the table refreshes by itself
    assert "validate" in mine.first.inner_text()
    page.goto(f"{url}/lang/en?next=/jobs")
    assert "Run the pipeline" in page.content()
    page.context.close()


def _first_row(page: object, table: str, has: str, kind: str) -> tuple[str, object]:
    """The first row of ``table`` holding ``has``: its record's id, and the row found by
    that record (the row's forms are replaced by the answer once sent)."""
    first = page.locator(f"table.{table} tr", has=page.locator(has)).first  # type: ignore[attr-defined]
    record = first.locator("a").first.get_attribute("href").rsplit("/", 1)[-1]
    return record, page.locator(f"table.{table} tr:has(a[href='/records/{kind}/{record}'])")  # type: ignore[attr-defined]


def _value(served: Served, sql: str, record: str) -> object:
    with served.server.view() as ws:
        return ws.scalar(sql, [record])


def test_a_commune_officer_explains_a_case_and_records_a_certificate_step(
    site: tuple[Served, str], browser: object
) -> None:
    served, url = site
    page = _log_in(browser, url, "xa")
    page.goto(f"{url}/communes/{served.commune}/review")
    party, row = _first_row(page, "review", "form.explain", "party")
    row.locator("form.explain select[name=reason]").select_option("deceased")  # type: ignore[attr-defined]
    row.locator("form.explain input[name=note]").fill("mất năm 2019, chờ thừa kế")  # type: ignore[attr-defined]
    row.locator("form.explain button").click()  # type: ignore[attr-defined]
    expect(row.locator(".decided")).to_contain_text("Đã giải trình")  # type: ignore[attr-defined]
    actor = "SELECT actor FROM review_decision WHERE party_id = ? AND reason = 'deceased'"
    assert _value(served, actor, party) == "xa"
    page.goto(f"{url}/communes/{served.commune}/certificates")
    cert, row = _first_row(page, "certs", "form", "certificate")
    row.locator("select[name=step]").select_option("collected")  # type: ignore[attr-defined]
    row.locator("input[name=day]").fill("02/03/2026")  # type: ignore[attr-defined]
    row.locator("button").click()  # type: ignore[attr-defined]
    expect(row.locator(".result")).to_contain_text("đã ghi nhận")  # type: ignore[attr-defined]
    day = (
        "SELECT strftime(done_on, '%d/%m/%Y') FROM certificate_step "
        "WHERE certificate_id = ? AND actor = 'xa'"
    )
    assert _value(served, day, cert) == "02/03/2026"
    page.context.close()


def test_an_admin_uploads_a_file_and_its_import_runs(
    site: tuple[Served, str], browser: object, tmp_path: Path
) -> None:
    served, url = site
    sheet = tmp_path / "nguoi_dung.csv"  # a file no import profile reads: the job says so
    sheet.write_text("a;b\n1;2\n", encoding="utf-8")
    page = _log_in(browser, url, "quantri")
    page.goto(f"{url}/jobs")
    page.set_input_files("input[type=file][name=files]", str(sheet))
    page.locator("form[action='/jobs/upload'] button").click()
    page.wait_for_url(f"{url}/jobs")
    mine = page.locator("#jobs tr", has_text="quantri").first
    expect(mine).to_be_visible()
    kept = list((served.server.imports / "uploads").rglob("nguoi_dung.csv"))
    assert len(kept) == 1 and kept[0].read_bytes() == sheet.read_bytes()
    with served.server.view() as ws:
        params = ws.scalar(
            "SELECT params FROM job WHERE kind = 'import' AND requested_by = 'quantri'"
        )
    assert "nguoi_dung.csv" in str(params)
    page.context.close()


def _map_ready(page: object) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "() => window.landcleanMap && window.landcleanMap.loaded() "
        "&& window.landcleanMap.areTilesLoaded()",
        timeout=60_000,
    )


def test_the_map_draws_and_a_click_on_a_parcel_opens_its_record(
    site: tuple[Served, str], browser: object
) -> None:
    import io

    import mapbox_vector_tile
    import numpy as np
    from PIL import Image

    served, url = site
    with served.server.view() as ws:
        parcel = ws.scalar(  # a parcel of some size, with no problem drawn over it
            "SELECT min(parcel_id) FROM map_parcel m WHERE unit_code = ? "
            "AND maxx - minx > 15 AND maxy - miny > 15 AND NOT EXISTS (SELECT 1 FROM "
            "map_problem q WHERE q.maxx >= m.minx AND q.minx <= m.maxx AND q.maxy >= m.miny "
            "AND q.miny <= m.maxy)",
            [served.commune],
        )
        names = {r[0] for r in ws.con.execute("SELECT full_name FROM party").fetchall() if r[0]}
    page = _log_in(browser, url, "xa")
    tiles: list[object] = []
    page.on("response", lambda r: tiles.append(r) if "/tiles/" in r.url else None)  # type: ignore[attr-defined]
    page.goto(f"{url}/map?parcel={parcel}")  # type: ignore[attr-defined]
    _map_ready(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "server_map.png"))  # type: ignore[attr-defined]
    canvas = Image.open(io.BytesIO(page.locator("#map canvas").screenshot())).convert("RGB")  # type: ignore[attr-defined]
    pixels = np.asarray(canvas, dtype=np.int16)
    background = np.array([244, 241, 234], dtype=np.int16)  # the map's background colour
    drawn = (np.abs(pixels - background).max(axis=2) > 12).mean()
    assert drawn > 0.2  # parcels drawn, not a blank canvas
    kinds = {r.url.split("/tiles/")[1].split("/")[0] for r in tiles}  # type: ignore[attr-defined]
    assert {"parcels", "sheets"} <= kinds
    for response in tiles:
        assert response.status == 200  # type: ignore[attr-defined]
        for layer in mapbox_vector_tile.decode(response.body()).values():  # type: ignore[attr-defined]
            for feature in layer["features"]:
                values = {str(v) for v in feature["properties"].values()}
                assert not values & names
                assert not [v for v in values if re.fullmatch(r"\d{9}|\d{12}", v)]
                if "unit_code" in feature["properties"]:
                    assert feature["properties"]["unit_code"] == served.commune
    page.locator("#map").click()  # type: ignore[attr-defined]  (its middle: the parcel)
    page.wait_for_url(f"{url}/records/parcel/{parcel}", timeout=10_000)  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]


def test_a_leaders_map_asks_for_the_communes_figures_only(
    site: tuple[Served, str], browser: object
) -> None:
    _, url = site
    page = _log_in(browser, url, "lanhdao")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/tiles/" in r.url else None)  # type: ignore[attr-defined]
    page.goto(f"{url}/map")  # type: ignore[attr-defined]
    _map_ready(page)
    assert asked and all("/tiles/communes/" in a for a in asked)
    assert not TWELVE_DIGITS.search(page.content())  # type: ignore[attr-defined]
    page.context.close()  # type: ignore[attr-defined]
