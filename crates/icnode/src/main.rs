//! The `icnode` binary. Its commands arrive with the broker issue; until then it says so.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "icnode: not yet: `up`, `broker`, `link` and the other commands are being built; \
         the `jose` and `instant-connect` libraries are ready (see README.md)"
    );
    ExitCode::from(2)
}
