"""Data shipped with yushu_circle: facility catalog, standards and the synthetic demo."""
