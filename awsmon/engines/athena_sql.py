"""Athena (Trino) SQL as DuckDB SQL, for every table awsmon serves locally with Athena's text (CloudTrail logs,
Config snapshots): sqlglot's Trino -> DuckDB translation plus the fix-ups it lacks, and DuckDB macros for Trino
functions. Pure: no I/O.
"""

from __future__ import annotations

import re
from typing import Any


class QueryError(ValueError):
    """A query that cannot be parsed or translated (one-line message)."""


_WRITE = ("insert", "update", "delete", "create", "drop", "alter", "copy", "attach", "detach", "install", "load",
          "pragma", "set", "export", "import", "call", "checkpoint", "vacuum")


def translate(sql: str, tables: tuple[str, ...] = ()) -> str:
    """Athena/Trino SQL as DuckDB SQL: sqlglot (read="trino", write="duckdb") plus the fix-ups it lacks.

    Only a single SELECT (or WITH ... SELECT) is accepted: queries read the data, never change it. ``tables`` are
    the table names served locally: a query naming one with its Athena database (``default.t``,
    ``AwsDataCatalog.config_db.t``) reads the local table, so the text written for Athena runs unchanged.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    text = sql.strip().rstrip(";").strip()
    if not text:
        raise QueryError("empty query")
    try:
        trees = sqlglot.parse(text, read="trino")
    except (ParseError, TokenError) as exc:
        raise QueryError(_first_line(str(exc))) from None
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        raise QueryError("give exactly one SQL statement")
    tree = trees[0]
    if not isinstance(tree, exp.Query):
        raise QueryError(f"only SELECT queries are supported (got {tree.key.upper()})")
    local = {t.lower() for t in tables}
    known = local | {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if tables:
            _check_source(table, known)
        if table.name.lower() in local and (table.args.get("db") or table.args.get("catalog")):
            table.set("db", None)
            table.set("catalog", None)
    tree = tree.transform(_fix)
    return tree.sql(dialect="duckdb")


def _check_source(table: Any, known: set[str]) -> None:
    """A query reads only the tables served (and its own WITH names), as on Athena: DuckDB's table functions
    (``read_text('/etc/passwd')``, ``read_csv``, ``glob``) and its file-name tables (``FROM "x.csv"``) would read
    any file of the machine. [design choice] Trino's words for a table function it lacks are not verified."""
    from sqlglot import exp

    if not isinstance(table.this, exp.Identifier):
        fn = table.this
        name = fn.name if isinstance(fn, exp.Anonymous) else fn.sql_name().lower() if isinstance(fn, exp.Func) else fn.sql()
        raise QueryError(f"FUNCTION_NOT_FOUND: Table function '{name}' not registered")
    if table.name.lower() not in known:
        raise QueryError(f"TABLE_NOT_FOUND: Table '{table.name}' does not exist")


_JODA = [("yyyy", "%Y"), ("YYYY", "%Y"), ("yy", "%y"), ("MMMM", "%B"), ("MMM", "%b"), ("MM", "%m"), ("dd", "%d"),
         ("HH", "%H"), ("hh", "%I"), ("mm", "%M"), ("ss", "%S"), ("SSS", "%g"), ("a", "%p"), ("EEEE", "%A"),
         ("EEE", "%a"), ("ZZ", "%z"), ("Z", "%z")]


def joda_to_strftime(pattern: str) -> str:
    """Trino's format_datetime takes Joda-Time patterns; DuckDB's strftime takes C ones (common tokens only;
    text in single quotes is literal)."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "'":
            j = pattern.find("'", i + 1)
            j = len(pattern) if j < 0 else j
            out.append(pattern[i + 1 : j].replace("%", "%%") or "'")
            i = j + 1
            continue
        for joda, c in _JODA:
            if pattern.startswith(joda, i):
                out.append(c)
                i += len(joda)
                break
        else:
            out.append("%%" if pattern[i] == "%" else pattern[i])
            i += 1
    return "".join(out)


def _fix(node: Any) -> Any:
    """The fix-ups sqlglot's Trino -> DuckDB translation lacks (each one tested in tests/test_trail_query.py)."""
    from sqlglot import exp

    if isinstance(node, exp.JSONExtractScalar) and not node.args.get("_wrapped"):
        # Trino's json_extract_scalar is NULL for an object or array; DuckDB's ->> returns its JSON text.
        inner = node.copy()
        inner.set("_wrapped", True)
        kind = exp.func("json_type", node.this.copy(), node.expression.copy())
        return exp.If(this=kind.isin(exp.Literal.string("OBJECT"), exp.Literal.string("ARRAY")), true=exp.null(),
                      false=inner)  # fmt: skip
    if isinstance(node, exp.Div) and (_is_double(node.left) or _is_double(node.right)):
        # Trino: a DOUBLE (or REAL) divided by zero is +-Infinity, or NaN for 0/0, where an integer or DECIMAL one
        # fails with "Division by zero" (what DuckDB does for every type under integer_division).
        # (its operands are fixed here: the transform does not visit the children of a node it replaced)
        return exp.func("trino_double_div", node.left.transform(_fix), node.right.transform(_fix))
    if isinstance(node, exp.JSONArrayContains):  # DuckDB has no json_array_contains
        return exp.func("json_contains", node.this, exp.func("to_json", node.expression))
    if isinstance(node, exp.Anonymous):
        name = node.name.lower()
        args = node.expressions
        if name == "to_iso8601" and len(args) == 1:
            return exp.func("strftime", args[0], exp.Literal.string("%Y-%m-%dT%H:%M:%S.%gZ"))
        if name == "format_datetime" and len(args) == 2 and isinstance(args[1], exp.Literal) and args[1].is_string:
            return exp.func("strftime", args[0], exp.Literal.string(joda_to_strftime(args[1].this)))
    return node


def _is_double(node: Any) -> bool:
    """Whether Trino types ``node`` DOUBLE or REAL, from its text alone: a literal with an exponent (``1e0``), a cast
    to DOUBLE/REAL, ``avg``, the math functions that return DOUBLE, and arithmetic with such an operand.
    [design choice] A column or a subquery's output is not typed here (the tables have no DOUBLE column), so a
    division of those by zero fails as for integers; a decimal literal (``1.5``) is DECIMAL in Trino, as here."""
    from sqlglot import exp

    if isinstance(node, exp.Paren | exp.Neg):
        return _is_double(node.this)
    if isinstance(node, exp.Literal):
        return not node.is_string and "e" in node.this.lower()
    if isinstance(node, exp.Cast | exp.TryCast):
        return node.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
        return _is_double(node.left) or _is_double(node.right)
    if isinstance(node, exp.Anonymous):
        return node.name.lower() in ("trino_double_div", "cbrt", "degrees", "radians", "log2", "log10", "rand", "random")
    return isinstance(node, exp.Avg | exp.Sqrt | exp.Ln | exp.Exp | exp.Pow | exp.Stddev | exp.StddevPop
                      | exp.StddevSamp | exp.Variance | exp.VariancePop)  # fmt: skip


def _first_line(text: str) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    return " ".join(text.split())[:400]


# DuckDB macros giving Trino functions that sqlglot leaves as they are (created once per connection).
MACROS = [
    "CREATE OR REPLACE MACRO any_match(l, f) AS len(list_filter(l, f)) > 0",
    "CREATE OR REPLACE MACRO all_match(l, f) AS len(list_filter(l, f)) = len(l)",
    "CREATE OR REPLACE MACRO none_match(l, f) AS len(list_filter(l, f)) = 0",
    # Trino's DOUBLE division: x/0 is +-Infinity by the signs of x and of the zero, 0/0 and NaN/0 are NaN
    "CREATE OR REPLACE MACRO trino_double_div(a, b) AS CASE WHEN b = 0 THEN (CASE WHEN a IS NULL THEN NULL "
    "WHEN isnan(a) OR a = 0 THEN 'NaN'::DOUBLE WHEN (a > 0) != signbit(b) THEN 'Infinity'::DOUBLE "
    "ELSE '-Infinity'::DOUBLE END) ELSE a / b END",
]
