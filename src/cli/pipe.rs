//! A command whose output is cut short (`integra settings check FILE | head -3`, `integra
//! doctor | head`) ends quietly, as Unix tools do, instead of panicking on the closed pipe.

use super::Cmd;

/// Let the system end this process when its output pipe closes (`SIGPIPE` back to its default;
/// Rust ignores it, and `println!` then panics on the closed pipe). Only for the commands that
/// print and end: the long-running roles keep ignoring it, so that a closed socket or a
/// player's closed pipe is an error they handle, never their death.
pub fn end_quietly_on_closed_pipe(cmd: Option<&Cmd>) {
    let prints_and_ends = match cmd {
        None
        | Some(Cmd::Kiosk { .. })
        | Some(Cmd::Run)
        | Some(Cmd::Hub)
        | Some(Cmd::Display)
        | Some(Cmd::Counter)
        | Some(Cmd::Standby { .. })
        | Some(Cmd::Bench(_)) => false,
        Some(
            Cmd::Join { .. }
            | Cmd::Pair { .. }
            | Cmd::Devices { .. }
            | Cmd::Discover
            | Cmd::Catalog(_)
            | Cmd::Settings(_)
            | Cmd::Issue(_)
            | Cmd::Queue
            | Cmd::Next(_)
            | Cmd::Ticket(_)
            | Cmd::Book(_)
            | Cmd::CheckIn(_)
            | Cmd::SignUp(_)
            | Cmd::PrintTest
            | Cmd::Doctor { .. }
            | Cmd::Purge
            | Cmd::Report(_)
            | Cmd::City(_)
            | Cmd::Backup { .. }
            | Cmd::Restore { .. }
            | Cmd::BootSetup { .. }
            | Cmd::Promote(_)
            | Cmd::Demo(_),
        ) => true,
    };
    if prints_and_ends {
        // SAFETY: setting a signal's disposition to the default has no memory effects; it is
        // done before any thread of this program starts.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
}
