"""Exporters: a cnncalc network as code for a deep-learning framework.

:mod:`cnncalc.export.pytorch` writes a standalone ``torch.nn.Module`` (``to_source``) and builds a
live one (``build_module``). Writing source needs no framework; building a module needs torch.
"""
