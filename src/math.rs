//! The transcendental functions every result goes through, from the pure-Rust `libm` crate
//! instead of the platform's math library.
//!
//! `f64::ln` and friends call the C library, whose last bits differ between operating
//! systems, C library versions and even processor features (glibc picks an FMA variant of
//! `log` where the processor has FMA). A draw that passes through a logarithm, such as the
//! gap to a rule's next day of decision, could then land on another day on another machine.
//! `libm` computes with IEEE 754 additions, multiplications, divisions and square roots only,
//! each correctly rounded everywhere, so these functions give the same bits on every machine.
//! `clippy.toml` forbids the `f64` methods in their place.
//!
//! `brink::draw` does the same for the samplers `rand_distr` gets wrong in this respect, and
//! `scripts/check_math_imports.sh` checks the release binary for any other caller.

/// Natural logarithm.
#[inline]
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `ln(1 + x)`, accurate near 0.
#[inline]
pub fn ln_1p(x: f64) -> f64 {
    libm::log1p(x)
}

/// `e^x`.
#[inline]
pub fn exp(x: f64) -> f64 {
    libm::exp(x)
}

/// `e^x - 1`, accurate near 0.
#[inline]
pub fn exp_m1(x: f64) -> f64 {
    libm::expm1(x)
}

/// `x^y`.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    libm::pow(x, y)
}

/// Base-10 logarithm.
#[inline]
pub fn log10(x: f64) -> f64 {
    libm::log10(x)
}

/// Sine.
#[inline]
pub fn sin(x: f64) -> f64 {
    libm::sin(x)
}
