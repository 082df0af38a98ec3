#!/usr/bin/env bash
# Checks that no result of brink depends on the platform's math library: in a release binary,
# every call to a transcendental function of the C library (exp, log, pow, sin, ...) must come
# from the code that draws charts into pixels (resvg, tiny-skia, usvg, kurbo, svgtypes and the
# font readers skrifa and read-fonts) or the progress bar (indicatif), never from brink, its samplers (rand, rand_distr, statrs) or libm.
#
# Why a check on the binary: whether a dependency's `x.exp()` reaches `libm` or the C library
# is decided by Rust's method resolution and Cargo's feature unification, not by anything in
# brink's source (src/draw/mod.rs explains the case that motivated it, and `cargo test` builds
# turn num-traits' "std" on, which is why this looks at a release build). A new dependency, or
# a feature that unifies into the release build, would show up here as a new caller.
#
# usage: scripts/check_math_imports.sh [BINARY]   (default target/release/brink)
# Needs objdump (binutils, which the Rust linker already needs). Exit 0 if clean, 1 if not.
set -euo pipefail
bin=${1:-target/release/brink}
[ -x "$bin" ] || { echo "check_math_imports: no binary at $bin (cargo build --release first)" >&2; exit 2; }

math='exp|exp2|exp10|expm1|log|log2|log10|log1p|pow|sin|cos|tan|sincos|asin|acos|atan|atan2|sinh|cosh|tanh|asinh|acosh|atanh|cbrt|hypot|erf|erfc|lgamma|tgamma|lgamma_r'
# Callers allowed to use the C library: pixels and the progress bar's rate and ETA.
allowed='^(<)?(resvg|tiny_skia|tiny_skia_path|usvg|kurbo|svgtypes|skrifa|read_fonts|indicatif)::'

# The GOT slots of the C library's math functions (f64 and f32 forms).
slots=$(objdump -R "$bin" | awk -v re="^(${math})f?@" '$2 ~ /GLOB_DAT|JUMP_SLOT/ && $3 ~ re {sub(/^0+/, "", $1); print $1 " " $3}')
if [ -z "$slots" ]; then
  echo "check_math_imports: $bin imports no math function from the C library"
  exit 0
fi

bad=0
ok=0
report=$(objdump -d -C --no-show-raw-insn "$bin" | awk -v slots="$slots" '
  BEGIN { n = split(slots, s, /[ \n]/); for (i = 1; i < n; i += 2) name[s[i]] = s[i + 1] }
  /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn); next }
  /# [0-9a-f]+ </ { for (a in name) if (index($0, "# " a " <")) print name[a] "\t" fn }
' | sort -u)
while IFS=$'\t' read -r sym caller; do
  if [[ "$caller" =~ $allowed ]]; then
    ok=$((ok + 1))
  else
    echo "  BAD  $sym  <- $caller"
    bad=1
  fi
done <<< "$report"
if [ "$bad" -ne 0 ]; then
  echo "check_math_imports: a result path calls the C library's math (see BAD above); take the" >&2
  echo "function from brink::math or brink::draw instead (README, \"Guarantees\")" >&2
  exit 1
fi
echo "check_math_imports: $ok call sites of the C library's math, all in chart rasterisation or the progress bar"
