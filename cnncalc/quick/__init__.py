"""The quick calculators: one layer (``cnncalc conv``), a chain of layers (``cnncalc chain``) and
the inverse questions (``cnncalc solve``/``pad``). They need only the model primitives; the layer
kinds reuse their explanations so that ``summary --explain`` and ``cnncalc conv`` agree."""
