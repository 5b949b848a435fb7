//! The workspace checked as a whole: what its documents claim, the arrows between its crates,
//! and the shape of its code. Each module is one kind of check; see the crate's doc.

mod architecture;
mod circles;
mod code;
mod docs;
mod layers;
mod mutants;
mod sizes;
