"""A bit-identical speed-up of e3nn tensor products on the CPU (SevenNet-0's convolutions).

e3nn generates each :class:`e3nn.o3.TensorProduct` as a ``torch.fx`` graph that takes the
per-edge weights as one ``(n_edges, weight_numel)`` tensor and slices it once per path
(``w[:, a:b]``). Forces are the gradient of the energy, and the backward of every slice
allocates a zero tensor of the full ``(n_edges, weight_numel)`` shape, writes its part and adds
it to the others: on a 154-atom Cu(111) slab with SevenNet-0 (5,520 edges) that zero-filling was
a sixth to a third of a force call (``aten::fill_`` in the profile). :func:`fuse_weight_slices`
rewrites those slices into one ``torch.split``, whose backward is a single concatenation. The
values taken are the same elements, so energies and forces are bit-identical
(``tests/potentials/test_e3nn_speed.py``); ``bench/bench_sevenn_speed.py`` measures the gain.
"""

from __future__ import annotations

import itertools
import operator
from typing import Any

__all__ = ["fuse_weight_slices"]


def _column_slices(node: Any) -> list[tuple[int, int, Any]]:
    """(start, stop, user) for every ``node[:, start:stop]`` user of ``node``."""
    cuts = []
    for user in node.users:
        if user.op != "call_function" or user.target is not operator.getitem:
            continue
        idx = user.args[1]
        if not (isinstance(idx, tuple) and len(idx) == 2 and idx[0] == slice(None)):
            continue
        col = idx[1]
        if isinstance(col, slice) and col.step is None and isinstance(col.stop, int):
            cuts.append((col.start or 0, col.stop, user))
    return cuts


def _fuse_graph(gm: Any) -> int:
    """Rewrite the column slices of 2-D reshapes of ``gm`` into one split each; return how many."""
    import torch

    graph = gm.graph
    n = 0
    for node in list(graph.nodes):
        is_reshape = node.op == "call_method" and node.target == "reshape"
        if not (is_reshape and len(node.args) == 3 and isinstance(node.args[2], int)):
            continue
        width = node.args[2]
        cuts = _column_slices(node)
        if len(cuts) < 2 or any(not 0 <= a < b <= width for a, b, _ in cuts):
            continue
        bounds = sorted({0, width, *(a for a, _, _ in cuts), *(b for _, b, _ in cuts)})
        pieces = list(itertools.pairwise(bounds))
        index = {p: i for i, p in enumerate(pieces)}
        if any((a, b) not in index for a, b, _ in cuts):  # overlapping slices: leave as is
            continue
        with graph.inserting_after(node):
            split = graph.call_function(torch.split, (node, [b - a for a, b in pieces]), {"dim": 1})
        for a, b, user in cuts:
            with graph.inserting_after(split):
                chunk = graph.call_function(operator.getitem, (split, index[(a, b)]))
            user.replace_all_uses_with(chunk)
            graph.erase_node(user)
        n += 1
    if n:
        graph.lint()
        gm.recompile()
    return n


def fuse_weight_slices(model: Any) -> int:
    """Fuse the weight slices of every e3nn tensor product in ``model``; return graphs changed.

    Only ``torch.fx`` graphs (e3nn's default code generation) are rewritten; a TorchScript
    module or another layout is left as it is.
    """
    import torch
    from e3nn.o3 import TensorProduct

    n = 0
    for module in model.modules():
        if not isinstance(module, TensorProduct):
            continue
        for attr in ("_compiled_main_left_right", "_compiled_main_right"):
            gm = getattr(module, attr, None)
            if isinstance(gm, torch.fx.GraphModule):
                n += _fuse_graph(gm) > 0
    return n
