#!/usr/bin/env python3
"""Write regenerated figures back into the docs and docs/figures.toml.

    scripts/refresh-figures.py DIR [--ids ID,ID…] [--all-failing] [--dry-run]

After scripts/reproduce-docs.sh has regenerated DIR, every figure the report marks FAIL (or
the figures named with --ids) gets its regenerated numbers written into the doc's quoted text
and into the manifest's `quote` and `value`, each number in the format the doc used (decimals,
significant digits of a mantissa, thousands commas, Unicode minus). A figure whose value and
regeneration do not have the same count of numbers is listed for a hand edit and left alone;
so is any prose around a quote that restates the figure: read the diff. Used after a change of
the random streams (docs/reproduce.md).
"""
import math
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "docs" / "figures.toml"
NUM = re.compile(r"[−-]?\d{1,3}(?:,\d{3})+(?![\d])|[−-]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def report(out):
    text = subprocess.run(
        ["awk", "-v", f"out={out}", "-v", "digits=12", "-f", str(ROOT / "scripts/figures.awk"), str(MANIFEST)],
        capture_output=True, text=True, cwd=ROOT).stdout
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6:
            rows[cells[0]] = (cells[3], cells[5])
    return rows


def tokens(value):
    """Numeric tokens of value as (start, end, text), skipping a '-' glued to a word or range."""
    found = []
    for m in NUM.finditer(value):
        start, text = m.start(), m.group()
        if text[0] in "-−" and start > 0 and re.match(r"[0-9A-Za-z.]", value[start - 1]):
            start, text = start + 1, text[1:]
        found.append((start, m.end(), text))
    return found


def fmt(like, x):
    neg = like.startswith(("−", "-"))
    minus = "−" if like.startswith("−") or (not neg and "−" in like) else "-"
    body = like.lstrip("−-")
    sign = minus if x < 0 else ""
    x = abs(x)
    if "," in body:
        return sign + f"{round(x):,}"
    if "e" in body.lower():
        mant, exp = re.split("[eE]", body)
        d = len(mant.split(".")[1]) if "." in mant else 0
        e = math.floor(math.log10(x)) if x > 0 else 0
        m = round(x / 10**e, d)
        if m >= 10:
            e, m = e + 1, round(m / 10, d)
        return sign + f"{m:.{d}f}e{e}"
    if "." in body:
        d = len(body.split(".")[1])
        return sign + f"{x:.{d}f}"
    return sign + str(round(x))


def flex(s):
    return r"\s+".join(re.escape(w) for w in s.split())


def toml_str(s):
    return "'" + s + "'" if "'" not in s else '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def entries(manifest):
    out = {}
    for block in manifest.split("[[figure]]")[1:]:
        fields = dict(re.findall(r"^(\w+) = (.*)$", block, re.M))
        out[fields["id"].strip('"')] = fields
    return out


def unquote(s):
    s = s.strip()
    if s.startswith("'"):
        return s[1:-1]
    return s[1:-1].replace('\\"', '"').replace("\\\\", "\\")


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    out, dry = Path(args[0]), "--dry-run" in args
    ids = args[args.index("--ids") + 1].split(",") if "--ids" in args else None
    rows = report(out)
    manifest = MANIFEST.read_text()
    figs = entries(manifest)
    todo = ids or [i for i, (_, status) in rows.items() if status == "FAIL"]
    manual = []
    for fid in todo:
        f = figs.get(fid)
        if f is None or fid not in rows:
            manual.append((fid, "not in the report"))
            continue
        regen = [float(v) for v in rows[fid][0].split(" / ") if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", v.strip())]
        value, quote, doc = unquote(f["value"]), unquote(f["quote"]), ROOT / unquote(f["doc"])
        toks = tokens(value)
        if len(toks) != len(regen) or value not in quote:
            manual.append((fid, f"{len(toks)} numbers in the value, {len(regen)} regenerated: {rows[fid][0]}"))
            continue
        new_value = value
        for (s, e, t), x in sorted(zip(toks, regen), key=lambda p: -p[0][0]):
            new_value = new_value[:s] + fmt(t, x) + new_value[e:]
        if new_value == value:
            continue
        new_quote = quote.replace(value, new_value, 1)
        text = doc.read_text()
        m = re.search(flex(quote), text)
        if not m:
            manual.append((fid, "quote not found in its doc"))
            continue
        seg = re.sub(flex(value), lambda _: new_value, m.group(), count=1)
        print(f"{fid}: {value!r} -> {new_value!r}")
        if dry:
            continue
        doc.write_text(text[: m.start()] + seg + text[m.end():])
        manifest = manifest.replace(f"quote = {f['quote']}", f"quote = {toml_str(new_quote)}")
        block_start = manifest.index(f'id = "{fid}"')
        block_end = manifest.find("[[figure]]", block_start)
        block_end = len(manifest) if block_end < 0 else block_end
        block = manifest[block_start:block_end].replace(f"value = {f['value']}", f"value = {toml_str(new_value)}", 1)
        manifest = manifest[:block_start] + block + manifest[block_end:]
        figs = entries(manifest)
    if not dry:
        MANIFEST.write_text(manifest)
    for fid, why in manual:
        print(f"by hand: {fid}: {why}")


if __name__ == "__main__":
    main()
