"""Rendering on a Dask cluster (`podcast render --scheduler ADDRESS`): imported only when one is named."""
