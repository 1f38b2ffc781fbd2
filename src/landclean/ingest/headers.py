"""Find the header of a spreadsheet: the row (or two rows, for merged group headers)
whose cells best match a profile."""

from __future__ import annotations

from landclean.ingest.profiles import Profile


def _forward_fill(row: list[str]) -> list[str]:
    """Merged cells come as a value followed by blanks: repeat the value across."""
    out, last = [], ""
    for cell in row:
        last = cell.strip() or last
        out.append(last)
    return out


def _score(headers: list[str], profiles: list[Profile]) -> int:
    return max((len(p.match(headers)) for p in profiles), default=0)


def find_header(grid: list[list[str]], profiles: list[Profile]) -> tuple[int, list[str]]:
    """(0-based row index of the last header row, header text per column).

    A header may sit under a title and span two rows ("Thông tin GCN" merged over "Số
    phát hành", "Ngày cấp"): then each column is named by its own cell, or by the group
    and the cell together, whichever a profile knows.
    """
    best_index, best_headers, best_score = 0, [c.strip() for c in grid[0]], -1
    for i, row in enumerate(grid):
        own = [c.strip() for c in row]
        candidates = [own]
        if i > 0:
            parent = _forward_fill(grid[i - 1])
            joined = [
                f"{p} {c}".strip() if c.strip() else p for p, c in zip(parent, own, strict=False)
            ]
            mixed = [
                c if c and _score([c], profiles) else j for c, j in zip(own, joined, strict=False)
            ]
            candidates += [joined, mixed]
        for headers in candidates:
            score = _score(headers, profiles)
            if score > best_score:
                best_index, best_headers, best_score = i, headers, score
    return best_index, [h if h else f"(cột {j + 1})" for j, h in enumerate(best_headers)]
