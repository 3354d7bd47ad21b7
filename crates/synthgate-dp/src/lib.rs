//! Differential privacy for Synthgate.
//!
//! - [`noise`]: exact discrete Gaussian, discrete Laplace, Bernoulli(exp(−γ)) and
//!   exponential-mechanism samplers in integer arithmetic (Canonne, Kamath and Steinke 2020),
//!   drawing from a [`noise::Noise`] source the front end hands over (the operating system's
//!   CSPRNG); a public seed never reaches them.
//! - [`accountant`]: zCDP composition and the tight conversion to (ε, δ).
//! - [`mst`]: the MST synthesizer's measurements, domain compression and tree selection
//!   (McKenna, Miklau and Sheldon 2021).
//! - [`pgm`]: Private-PGM-style inference on the measured forest (McKenna, Sheldon and Miklau
//!   2019) and what sampling needs.
//!
//! The unit of privacy is one row, under add/remove neighbours. This crate reads no files and
//! knows nothing of tables: callers map each row to public cells first.

#![warn(missing_docs)]

pub mod accountant;
pub mod mst;
pub mod noise;
pub mod pgm;
