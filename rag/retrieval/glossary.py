"""Query expansion from a glossary: a metric's name brings in the line items it is computed from.

Analysts ask about metrics ("Does AMCOR have an improving gross margin profile?"), but a filing prints the
numbers under their line items ("Gross profit", "Cost of sales", "Net sales") on statement pages that never
say "gross margin", so neither BM25 nor a small sentence model finds them. The finance glossary maps the
standard metrics (textbook definitions, not fitted to any question set) and the statements' common names to
those line items; a question that names none of them is searched exactly as typed. Patterns are
deliberately specific: a generic word ("segment", "growth") would drag finance terms into other libraries.
"""

from __future__ import annotations

import re

_FINANCE = {
    r"gross (?:profit )?margins?": ("gross profit", "cost of sales", "net sales", "revenue"),
    r"operating (?:profit |income )?margins?": ("operating income", "net revenues"),
    r"net (?:profit |income )?margins?|profit margins?": ("net income", "net revenues"),
    r"ebitda": ("operating income", "depreciation and amortization"),
    r"free cash flows?": ("net cash provided by operating activities", "capital expenditures"),
    r"capex|capital expenditures?|capital[- ]intensive|capital intensity": (
        "capital expenditures",
        "property plant and equipment",
        "total assets",
    ),
    r"quick ratio|acid[- ]test ratio": (
        "cash and cash equivalents",
        "receivables",
        "total current assets",
        "total current liabilities",
    ),
    r"current ratio|working capital": ("total current assets", "total current liabilities"),
    r"debt[- ]to[- ](?:equity|capital)|leverage ratio|net debt": (
        "total debt",
        "long-term debt",
        "total equity",
    ),
    r"interest coverage": ("operating income", "interest expense"),
    r"return on (?:equity|assets|invested capital)": ("net income", "total equity", "total assets"),
    r"effective (?:income )?tax rate": (
        "effective tax rate",
        "provision for income taxes",
        "income before income taxes",
    ),
    r"inventory turnover|days (?:of )?inventory|sold (?:its )?inventory": ("cost of sales", "inventories"),
    r"days sales outstanding|receivables? turnover": ("accounts receivable", "net revenues"),
    r"asset turnover": ("net revenues", "total assets"),
    r"payout ratio": ("dividends paid", "net income"),
    r"(?:share|stock) (?:re)?purchases?|buybacks?": ("repurchases of common stock", "treasury stock"),
    r"earnings per share": ("net income per share", "diluted", "basic"),
    r"balance sheets?|statements? of financial position": (
        "consolidated balance sheets",
        "total assets",
        "total liabilities",
        "equity",
    ),
    r"largest (?:liability|liabilities|asset|assets)": (
        "consolidated balance sheets",
        "total liabilities",
        "total assets",
    ),
    r"cash flow statements?|statements? of cash flows?": (
        "consolidated statements of cash flows",
        "net cash provided by operating",
        "investing",
        "financing activities",
    ),
    r"income statements?|statements? of (?:income|operations|earnings)|profit and loss statements?": (
        "consolidated statements of income",
        "net revenues",
        "operating income",
        "net income",
    ),
    r"legal (?:battles|proceedings|matters)|litigation|lawsuits?": (
        "legal proceedings",
        "litigation",
        "contingencies",
    ),
    r"geograph(?:y|ies|ic)": ("segment information", "geographic"),
}


def _compile(table: dict[str, tuple[str, ...]]) -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    return [(re.compile(rf"\b(?:{pattern})\b", re.I), items) for pattern, items in table.items()]


GLOSSARIES = {"off": [], "finance": _compile(_FINANCE)}


def matches(query: str, glossary: str) -> dict[str, tuple[str, ...]]:
    """The glossary entries `query` names: the words as written -> the line items they are computed from."""
    found = {}
    for pattern, items in GLOSSARIES[glossary]:
        if m := pattern.search(query):
            found.setdefault(m.group(0), items)
    return found


def expand(query: str, glossary: str) -> str:
    """`query` followed by the line items of every glossary entry it names; `query` itself when none."""
    return " ".join([query, *(" ".join(items) for items in matches(query, glossary).values())])


def note(query: str, glossary: str) -> str | None:
    """What the search added, for the user: 'also searched for the line items of "gross margin": ...'."""
    found = matches(query, glossary)
    if not found:
        return None
    names = " and ".join(f'"{name}"' for name in found)
    items = list(dict.fromkeys(i for group in found.values() for i in group))  # in order, once each
    return f"also searched for the line items of {names}: {', '.join(items)}"
