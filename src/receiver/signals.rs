//! Signal handlers installed before otelcost says it is ready (prints its endpoints or
//! starts the wrapped command). A signal sent in between would otherwise meet the default
//! action and kill otelcost with everything it had received unreported.

/// A signal otelcost handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caught {
    Interrupt,
    Terminate,
    Hangup,
}

impl Caught {
    #[cfg(unix)]
    pub fn number(self) -> i32 {
        match self {
            Caught::Interrupt => libc::SIGINT,
            Caught::Terminate => libc::SIGTERM,
            Caught::Hangup => libc::SIGHUP,
        }
    }
}

/// Handlers for a set of signals, from [`Signals::install`] on.
pub struct Signals {
    #[cfg(unix)]
    streams: Vec<(tokio::signal::unix::Signal, Caught)>,
}

impl Signals {
    /// Installs the handlers now; call it inside the runtime. Off Unix only Ctrl-C is caught.
    pub fn install(kinds: &[Caught]) -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = kinds
                .iter()
                .map(|&caught| {
                    let kind = match caught {
                        Caught::Interrupt => SignalKind::interrupt(),
                        Caught::Terminate => SignalKind::terminate(),
                        Caught::Hangup => SignalKind::hangup(),
                    };
                    signal(kind).map(|stream| (stream, caught))
                })
                .collect::<std::io::Result<_>>()?;
            Ok(Signals { streams })
        }
        #[cfg(not(unix))]
        {
            let _ = kinds;
            Ok(Signals {})
        }
    }

    /// The next signal to arrive.
    pub async fn next(&mut self) -> Caught {
        #[cfg(unix)]
        {
            std::future::poll_fn(|cx| {
                for (stream, caught) in self.streams.iter_mut() {
                    if let std::task::Poll::Ready(Some(())) = stream.poll_recv(cx) {
                        return std::task::Poll::Ready(*caught);
                    }
                }
                std::task::Poll::Pending
            })
            .await
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Caught::Interrupt
        }
    }
}
