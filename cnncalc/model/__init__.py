"""Model primitives: integer arithmetic, N-dimensional shapes, attribute types, the graph, errors
and limits. Everything else in cnncalc builds on these; they import nothing above them."""
