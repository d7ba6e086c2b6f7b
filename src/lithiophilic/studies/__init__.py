"""The public Python API: one study per Fig. 5 panel family, and the paper campaign.

Each study module has ``Options`` (validated; ``quick()`` and ``full()`` presets),
``build_flows``, ``run``, ``collect`` (a typed ``Result``), ``figures``, ``claims`` and
``table_rows``; see :mod:`lithiophilic.studies.base`.
"""

from __future__ import annotations
