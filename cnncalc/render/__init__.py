"""Renderers: each takes a finished :class:`~cnncalc.analysis.report.Report` and returns text or a
rich renderable. They format; they never compute a count."""
