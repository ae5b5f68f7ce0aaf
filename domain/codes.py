"""Reference code lists, from pycountry's copy of the ISO data (kept up to date by its
maintainers): ISO 3166-1 alpha-2 countries and ISO 4217 currencies."""

from __future__ import annotations

import pycountry

COUNTRY_CODES: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
CURRENCY_CODES: frozenset[str] = frozenset(c.alpha_3 for c in pycountry.currencies)
