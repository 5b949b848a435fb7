//! One function a command, and the error type that decides the exit code.

mod audit;
mod bench;
mod broker;
mod connection;
mod error;
mod keys;
mod link;
mod local_broker;
mod node;
mod node_import;
mod process;
mod serve;
mod tenants;
mod up;
mod visit;

use crate::cli::Command;

pub use error::CliError;
/// For the README's check that its `link` examples hold today.
#[cfg(test)]
pub(crate) use link::link_spec;

pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Up(args) => up::up(args).await,
        Command::Broker(args) => broker::broker(args).await,
        Command::Serve(args) => serve::serve(*args).await,
        Command::Keys(command) => keys::keys(command).await,
        Command::Tenants(command) => tenants::tenants(command).await,
        Command::Audit(args) => audit::audit(args).await,
        Command::Migrate { database } => audit::migrate(database).await,
        Command::Visit(command) => visit::visit(command).await,
        Command::Revoke(args) => visit::revoke(args).await,
        Command::Link(args) => link::link(args).await,
        Command::AddGuest(args) => link::add_guest(args).await,
        Command::Node(command) => node::node(command).await,
        Command::Bench(command) => bench::bench(command),
    }
}
