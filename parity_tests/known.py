"""Known, deliberate departures from torch: ``{check id: reason}``, marked xfail(strict=True)."""
XFAIL = {}
