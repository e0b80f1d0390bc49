"""One module per demo dataset; each exposes `build(rng, out_dir) -> DatasetOutput`."""
