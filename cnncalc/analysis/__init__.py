"""The analyses over a graph of layers: the one linear walk, the report it produces, memory,
roll-ups by block and sweeps over input sizes."""
