"""The generated province held in memory, as Arrow tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa


@dataclass
class Province:
    """Everything generated, as Arrow tables (truth and the recorded values)."""

    parcels: pa.Table
    land_use: pa.Table
    persons: pa.Table
    parties: pa.Table
    rights: pa.Table
    certificates: pa.Table
    assets: pa.Table
    registry: pa.Table
    communes: pa.Table
    defects: pa.Table
    geometry: npt.NDArray[np.object_]
    stats: dict[str, int] = field(default_factory=dict)
    progress: pa.Table | None = None  # the communes' weekly progress reports
    targets: pa.Table | None = None  # the province's targets per commune
