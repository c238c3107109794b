//! Serving an axum router on a loopback port from its own runtime, for the HTTP
//! stand-ins; the server stops when the [`Served`] is dropped (without blocking, so a
//! test may drop it inside its own runtime).

/// A router being served.
pub(crate) struct Served {
    /// The port.
    pub(crate) port: u16,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Served {
    /// Serves `app` on `127.0.0.1:port` (0: any free port).
    pub(crate) fn start(app: axum::Router, port: u16) -> Served {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
        Served {
            port,
            runtime: Some(runtime),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Stops serving now.
    pub(crate) fn stop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.stop();
    }
}
