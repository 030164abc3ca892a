# Extract and check the figures of docs/figures.toml against a reproduction run.
#
#   awk -v out=DIR [-v digits=N] -f scripts/figures.awk docs/figures.toml > DIR/report.md
#
# (digits: significant digits of the regenerated values in the report, 4 by default;
# scripts/refresh-figures.py reads them at full precision.)
#
# The manifest is a list of [[figure]] tables whose values are single-line TOML strings
# ('literal' or "basic") or booleans. For each checked figure the numbers in `value` (the doc's
# value) are compared, in order, with the numbers the `extract` specs produce from DIR. Specs are
# separated by " ; "; each is
#
#   PATH num K REGEX        the K-th number after the first match of REGEX (awk ERE) in PATH
#   PATH col AGG COL [F]    column COL of the CSV file PATH aggregated by AGG (mean, std (n−1),
#                           absmean, negfrac (fraction < 0), count=V, median, p10, p90, min, max,
#                           first, last, rows), over the rows matching F (COL2=V[,COL3=W]; numbers
#                           compare numerically)
#   PATH md SECTION ROW K   K-th cell of the markdown table row whose first cell is ROW, in the first
#                           table after the heading line starting with "## SECTION"
#   PATH sec SECTION K REGEX  as num, within the section of a markdown file that starts with the
#                           heading line "## SECTION"
#   lit N                   the number N itself (a table key quoted beside a value)
#
# optionally followed by "*F" (multiply, e.g. *100 for a percentage) and "+A" (then add A, e.g.
# +-0.5). PATH is relative to DIR.
# Tolerances: exact (equal to the quoted digits: within half a unit of the last quoted digit),
# abs X, rel X (|regenerated − doc| ≤ X·|doc|, plus the quoting half-unit), factor F
# (doc/F ≤ regenerated ≤ doc·F). check = false marks a figure that cannot be regenerated here.

function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }

function tomlvalue(s,    q, r, i, c) {
  s = trim(s)
  q = substr(s, 1, 1)
  if (q == "'") return substr(s, 2, length(s) - 2)
  if (q != "\"") return s
  r = ""
  for (i = 2; i < length(s); i++) {
    c = substr(s, i, 1)
    if (c == "\\") { i++; c = substr(s, i, 1) }
    r = r c
  }
  return r
}

# The numbers of a string, into arr[1..n]; returns n. Unicode minus → "-", thousands commas dropped.
function numbers(s, arr, unit,    n, m, next_) {
  gsub(/−/, "-", s)
  while (match(s, /[0-9],[0-9][0-9][0-9]/)) s = substr(s, 1, RSTART) substr(s, RSTART + 2)
  n = 0
  while (match(s, /-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/)) {
    m = substr(s, RSTART, RLENGTH)
    next_ = substr(s, RSTART + RLENGTH)
    # a "-" glued to a word or a range ("2..8", "1-2") is not a sign
    if (substr(m, 1, 1) == "-" && RSTART > 1 && substr(s, RSTART - 1, 1) ~ /[0-9A-Za-z.]/) m = substr(m, 2)
    n++
    arr[n] = m + 0
    unit[n] = quantum(m)
    s = next_
  }
  return n
}

# Half a unit of the last quoted digit of number string m.
function quantum(m,    mant, e, d) {
  mant = m
  e = 0
  if (match(m, /[eE]/)) { mant = substr(m, 1, RSTART - 1); e = substr(m, RSTART + 1) + 0 }
  d = 0
  if (match(mant, /\./)) d = length(mant) - RSTART
  return 0.5 * 10 ^ (e - d)
}

function fmt(x) {
  if (x == "") return "—"
  if (x == int(x) && x < 1e7 && x > -1e7) return sprintf("%d", x)
  return sprintf("%." (digits ? digits : 4) "g", x)
}

# csv: aggregate column col of file f over rows matching filt.
function csvagg(f, agg, col, filt,    line, h, nh, i, ci, v, n, vals, nf, fk, fv, k, ok, fi, s, s2, c, tmp, j, sorted) {
  nh = 0
  if ((getline line < f) <= 0) { close(f); return "" }
  nh = split(line, h, ",")
  ci = 0
  for (i = 1; i <= nh; i++) if (h[i] == col) ci = i
  nf = 0
  if (filt != "") {
    k = split(filt, tmp, ",")
    for (i = 1; i <= k; i++) {
      split(tmp[i], fi, "=")
      nf++
      fk[nf] = 0
      for (j = 1; j <= nh; j++) if (h[j] == fi[1]) fk[nf] = j
      fv[nf] = fi[2]
      if (fk[nf] == 0) { close(f); return "" }
    }
  }
  if (ci == 0 && agg != "rows") { close(f); return "" }
  n = 0
  while ((getline line < f) > 0) {
    split(line, c, ",")
    ok = 1
    for (i = 1; i <= nf; i++) {
      if (fv[i] ~ /^-?[0-9.eE+]+$/ && c[fk[i]] ~ /^-?[0-9.eE+]+$/) { if (c[fk[i]] + 0 != fv[i] + 0) ok = 0 }
      else if (c[fk[i]] != fv[i]) ok = 0
    }
    if (!ok) continue
    n++
    vals[n] = (ci ? c[ci] : "")
  }
  close(f)
  if (agg == "rows") return n
  if (n == 0) return ""
  if (agg == "first") return vals[1] + 0
  if (agg == "last") return vals[n] + 0
  if (agg ~ /^count=/) {
    v = substr(agg, 7); k = 0
    for (i = 1; i <= n; i++) if (vals[i] + 0 == v + 0) k++
    return k
  }
  s = 0; s2 = 0; k = 0
  for (i = 1; i <= n; i++) {
    v = vals[i] + 0
    if (agg == "absmean") v = (v < 0 ? -v : v)
    if (agg == "negfrac") v = (v < 0 ? 1 : 0)
    s += v; s2 += v * v
  }
  if (agg == "mean" || agg == "absmean" || agg == "negfrac") return s / n
  if (agg == "std") return (n > 1 ? sqrt((s2 - s * s / n) / (n - 1)) : 0)
  # order statistics (linear interpolation, as src/tolerance/report.rs)
  for (i = 1; i <= n; i++) sorted[i] = vals[i] + 0
  for (i = 2; i <= n; i++) { v = sorted[i]; for (j = i - 1; j >= 1 && sorted[j] > v; j--) sorted[j + 1] = sorted[j]; sorted[j + 1] = v }
  if (agg == "min") return sorted[1]
  if (agg == "max") return sorted[n]
  if (agg == "median") return pct(sorted, n, 0.5)
  if (agg == "p10") return pct(sorted, n, 0.1)
  if (agg == "p90") return pct(sorted, n, 0.9)
  return ""
}

function pct(a, n, p,    x, i, fr, j) {
  x = p * (n - 1); i = int(x); fr = x - i; j = (i + 1 < n - 1 ? i + 1 : n - 1)
  return a[i + 1] * (1 - fr) + a[j + 1] * fr
}

# numafter: the K-th number after the first match of RE anywhere in F.
function numafter(f, k, re) {
  return secnum(f, "", k, re)
}

# secnum: the K-th number after the first match of RE in section "## SEC" of F (the whole
# file when SEC is empty).
function secnum(f, sec, k, re,    line, insec, rest, arr, u, n) {
  insec = (sec == "")
  while ((getline line < f) > 0) {
    if (sec != "" && index(line, "## " sec) == 1) { insec = 1; continue }
    if (sec != "" && insec && line ~ /^## /) break
    if (insec && match(line, re)) {
      rest = substr(line, RSTART + RLENGTH)
      n = numbers(rest, arr, u)
      close(f)
      return (k <= n ? arr[k] : "")
    }
  }
  close(f)
  return ""
}

function mdcell(f, sec, row, k,    line, insec, cells, n, first) {
  insec = 0
  while ((getline line < f) > 0) {
    if (index(line, "## " sec) == 1) { insec = 1; continue }
    if (insec && line ~ /^## /) break
    if (insec && line ~ /^\|/) {
      n = split(line, cells, "|")
      first = trim(cells[2])
      if (first == row || (first ~ /^-?[0-9.eE+]+$/ && row ~ /^-?[0-9.eE+]+$/ && first + 0 == row + 0)) {
        close(f)
        n = numbers(cells[k + 1], cellnum, cellu)
        return (n ? cellnum[1] : "")
      }
    }
  }
  close(f)
  return ""
}

# One extract spec → a number, or "" when its source is missing.
function extract1(spec,    t, n, f, scale, offset, rest, i, r) {
  n = split(trim(spec), t, /[ \t]+/)
  scale = 1
  offset = 0
  if (t[n] ~ /^\+/) { offset = substr(t[n], 2) + 0; n-- }
  if (t[n] ~ /^\*/) { scale = substr(t[n], 2) + 0; n-- }
  if (t[1] == "lit") return t[2] * scale + offset
  f = out "/" t[1]
  if (t[2] == "num") {
    rest = t[4]
    for (i = 5; i <= n; i++) rest = rest " " t[i]
    r = numafter(f, t[3] + 0, rest)
  } else if (t[2] == "col") {
    r = csvagg(f, t[3], t[4], (n >= 5 ? t[5] : ""))
  } else if (t[2] == "sec") {
    rest = t[5]
    for (i = 6; i <= n; i++) rest = rest " " t[i]
    r = secnum(f, t[3], t[4] + 0, rest)
  } else if (t[2] == "md") {
    r = mdcell(f, t[3], t[4], t[5] + 0)
  } else {
    print "figures.awk: unknown extract op `" t[2] "` in: " spec > "/dev/stderr"
    return ""
  }
  return (r == "" ? "" : r * scale + offset)
}

function finish(    ndoc, doc, unit, specs, nspec, i, got, missing, tolk, tolx, ok, d, lim, shown, status, a, why) {
  if (id == "") return
  ndoc = numbers(value, doc, unit)
  shown = ""
  status = ""
  if (check == "false") {
    status = "NOT CHECKED"
    shown = "— (" reason ")"
  } else {
    nspec = (extract == "" ? 0 : split(extract, specs, / ; /))
    missing = 0
    for (i = 1; i <= nspec; i++) {
      got[i] = extract1(specs[i])
      if (got[i] == "") missing = 1
      shown = shown (i > 1 ? " / " : "") fmt(got[i])
    }
    if (nspec != ndoc) { status = "FAIL"; shown = shown " (manifest: " nspec " extracts for " ndoc " numbers)" }
    else if (missing) status = "NOT RUN"
    else {
      split(tolerance, a, /[ \t]+/)
      tolk = a[1]; tolx = a[2] + 0
      ok = 1
      for (i = 1; i <= ndoc; i++) {
        d = got[i] - doc[i]; if (d < 0) d = -d
        if (tolk == "exact") lim = unit[i] * 1.000001
        else if (tolk == "abs") lim = tolx + unit[i]
        else if (tolk == "rel") lim = tolx * (doc[i] < 0 ? -doc[i] : doc[i]) + unit[i]
        else if (tolk == "factor") lim = -1
        else { ok = 0; continue }
        if (tolk == "factor") { if (!(got[i] * tolx >= doc[i] && got[i] <= doc[i] * tolx)) ok = 0 }
        else if (d > lim) ok = 0
      }
      status = ok ? "PASS" : "FAIL"
    }
  }
  count[status]++
  gsub(/\|/, "\\|", value)
  printf "| %s | %s | %s | %s | %s | %s |\n", id, doc_, value, shown, tolerance, status
  id = ""
}

BEGIN {
  print "# Reproduction of the figures quoted in docs/"
  print ""
  print "Generated by scripts/reproduce-docs.sh from docs/figures.toml and the runs in " out "."
  print "Tolerances: exact = equal to the quoted digits; abs/rel include half a unit of the last"
  print "quoted digit; factor F = within a factor F either way (wall-clock times)."
  print ""
  print "| id | doc | doc value | regenerated | tolerance | status |"
  print "|---|---|---|---|---|---|"
}

/^[ \t]*#/ || /^[ \t]*$/ { next }
/^\[\[figure\]\]/ { finish(); id = ""; check = "true"; reason = ""; extract = ""; tolerance = ""; value = ""; doc_ = ""; next }
{
  k = $0; sub(/[ \t]*=.*/, "", k); k = trim(k)
  v = $0; sub(/^[^=]*=/, "", v); v = tomlvalue(v)
  if (k == "id") id = v
  else if (k == "doc") doc_ = v
  else if (k == "value") value = v
  else if (k == "extract") extract = v
  else if (k == "tolerance") tolerance = v
  else if (k == "check") check = v
  else if (k == "reason") reason = v
}

END {
  finish()
  print ""
  printf "checked %d: PASS %d, FAIL %d, NOT RUN %d; NOT CHECKED %d\n", count["PASS"] + count["FAIL"] + count["NOT RUN"], count["PASS"], count["FAIL"], count["NOT RUN"], count["NOT CHECKED"]
}
