//! An external adapter speaking protocol v1: one process per call, request on stdin,
//! response on stdout, stderr kept for the report.

use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use crate::protocol::{AdapterRequest, AdapterResponse};

/// Why an external adapter call broke the protocol. Every variant that ran the
/// process carries its stderr, because that is where an adapter says what went wrong.
#[derive(Debug, thiserror::Error)]
pub enum AdapterCallError {
    /// The request could not be serialized (not expected with the protocol types).
    #[error("could not encode the request: {0}")]
    Encode(#[source] serde_json::Error),
    /// `sh` could not be started.
    #[error("could not start `{command}`: {source}")]
    Spawn {
        /// The adapter command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Reading the adapter's output failed.
    #[error("could not read the adapter's output: {source}; stderr: {stderr}")]
    Io {
        /// The OS error.
        #[source]
        source: std::io::Error,
        /// What the adapter wrote to stderr.
        stderr: String,
    },
    /// The adapter exited with a non-zero status (or was killed by a signal).
    #[error("adapter exited with {status}; stderr: {stderr}")]
    Exit {
        /// The exit status.
        status: ExitStatus,
        /// What the adapter wrote to stderr.
        stderr: String,
    },
    /// Exit 0, but stdout is not a protocol response.
    #[error("adapter printed an invalid response ({source}); stdout: {stdout}; stderr: {stderr}")]
    InvalidJson {
        /// The JSON error.
        #[source]
        source: serde_json::Error,
        /// The start of what the adapter printed (at most [`STDOUT_PREVIEW`] characters).
        stdout: String,
        /// What the adapter wrote to stderr.
        stderr: String,
    },
    /// No exit within the call timeout; the adapter was killed.
    #[error("adapter gave no answer within {timeout:?} and was killed; stderr: {stderr}")]
    Timeout {
        /// The call timeout.
        timeout: Duration,
        /// What the adapter wrote to stderr before it was killed.
        stderr: String,
    },
}

impl AdapterCallError {
    /// The adapter's stderr, when it ran.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            Self::Encode(_) | Self::Spawn { .. } => None,
            Self::Io { stderr, .. }
            | Self::Exit { stderr, .. }
            | Self::InvalidJson { stderr, .. }
            | Self::Timeout { stderr, .. } => Some(stderr),
        }
    }
}

/// An adapter run as `sh -c COMMAND`, so users can name it like in a shell
/// (`node my-adapter.js`, `cd x && python3 adapter.py`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandAdapter {
    /// The command line, run by `sh -c`.
    pub command: String,
    /// How long one call may take, start to exit.
    pub timeout: Duration,
    /// Environment variables set for the command, on top of the inherited ones.
    pub env: Vec<(String, String)>,
}

impl CommandAdapter {
    /// The protocol's default call timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// An adapter with [`Self::DEFAULT_TIMEOUT`].
    pub fn new(command: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            timeout: Self::DEFAULT_TIMEOUT,
            env: Vec::new(),
        }
    }

    /// The same adapter with another call timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The same adapter with one more environment variable set.
    #[must_use]
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs the command once for `req`. Stdin, stdout and stderr are served
    /// concurrently, so an adapter that answers before reading all its input (or
    /// writes a lot to stderr) cannot deadlock the call.
    pub async fn call(&self, req: &AdapterRequest) -> Result<AdapterResponse, AdapterCallError> {
        self.call_with_stderr(req).await.0
    }

    /// Like [`CommandAdapter::call`], and also returns what the adapter wrote to
    /// stderr when it ran (reports show it even when the response was valid).
    pub async fn call_with_stderr(
        &self,
        req: &AdapterRequest,
    ) -> (Result<AdapterResponse, AdapterCallError>, Option<String>) {
        match self.run(req).await {
            Ok((response, stderr)) => (Ok(response), Some(stderr)),
            Err(error) => {
                let stderr = error.stderr().map(str::to_owned);
                (Err(error), stderr)
            }
        }
    }

    /// One run: the response and the adapter's stderr.
    async fn run(
        &self,
        req: &AdapterRequest,
    ) -> Result<(AdapterResponse, String), AdapterCallError> {
        let input = serde_json::to_vec(req).map_err(AdapterCallError::Encode)?;
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(&self.command)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        // Its own process group, so a timeout kills the adapter's children too.
        #[cfg(unix)]
        command.process_group(0);
        let spawn_error = |source| AdapterCallError::Spawn {
            command: self.command.clone(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(spawn_error(std::io::Error::other("child pipes missing")));
        };

        let (mut out, mut err) = (Vec::new(), Vec::new());
        let exchange = async {
            let write = async {
                // An adapter may exit without reading everything; a broken pipe here
                // is judged by its exit status and output, not reported by itself.
                let _ = stdin.write_all(&input).await;
                drop(stdin);
            };
            let (_, read_out, read_err, status) = tokio::join!(
                write,
                drain(&mut stdout, &mut out, MAX_STDOUT),
                drain(&mut stderr, &mut err, MAX_STDERR),
                child.wait()
            );
            read_out.and(read_err).and(status)
        };
        let finished = tokio::time::timeout(self.timeout, exchange).await;
        let stderr_text = |err: &[u8]| String::from_utf8_lossy(err).into_owned();
        let status = match finished {
            Err(_) => {
                kill_group(&mut child).await;
                return Err(AdapterCallError::Timeout {
                    timeout: self.timeout,
                    stderr: stderr_text(&err),
                });
            }
            Ok(Err(source)) => {
                kill_group(&mut child).await;
                return Err(AdapterCallError::Io {
                    source,
                    stderr: stderr_text(&err),
                });
            }
            Ok(Ok(status)) => status,
        };
        if !status.success() {
            return Err(AdapterCallError::Exit {
                status,
                stderr: stderr_text(&err),
            });
        }
        match serde_json::from_slice(&out) {
            Ok(response) => Ok((response, stderr_text(&err))),
            Err(source) => Err(AdapterCallError::InvalidJson {
                source,
                stdout: preview(&out),
                stderr: stderr_text(&err),
            }),
        }
    }
}

/// Most of an adapter's stdout kept; a response is a few kilobytes.
const MAX_STDOUT: usize = 16 << 20;
/// Most of an adapter's stderr kept for the report.
const MAX_STDERR: usize = 1 << 20;

/// Characters of a bad response kept in [`AdapterCallError::InvalidJson`].
pub const STDOUT_PREVIEW: usize = 4096;

fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    match text.char_indices().nth(STDOUT_PREVIEW) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// Reads a pipe to its end, keeping at most `cap` bytes: the rest is read and
/// dropped, so a chatty adapter neither blocks on a full pipe nor fills memory.
async fn drain(
    pipe: &mut (impl AsyncRead + Unpin),
    kept: &mut Vec<u8>,
    cap: usize,
) -> std::io::Result<()> {
    let mut chunk = [0u8; 8192];
    loop {
        let n = pipe.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        let room = cap.saturating_sub(kept.len()).min(n);
        kept.extend_from_slice(&chunk[..room]);
    }
}

/// Kills the adapter's process group (falling back to the shell alone) and reaps it.
async fn kill_group(child: &mut tokio::process::Child) {
    #[cfg(unix)]
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id.cast_signed()))
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
    let _ = child.start_kill();
    let _ = child.wait().await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Chat, CrmConfig, Endpoints, Function, Outcome};

    fn request() -> AdapterRequest {
        AdapterRequest::new(
            Function::OpenTicket,
            CrmConfig::default(),
            Chat::default(),
            Endpoints::default(),
        )
    }

    #[tokio::test]
    async fn reads_a_response_and_ignores_unread_input() {
        let adapter =
            CommandAdapter::new(r#"echo '{"outcome":"complete","crmData":{"result":7}}'"#);
        let response = adapter.call(&request()).await.unwrap();
        assert_eq!(response.outcome, Outcome::Complete);
        assert_eq!(response.crm_data_or_empty()["result"], 7);
    }

    #[tokio::test]
    async fn sees_the_request_on_stdin() {
        let adapter = CommandAdapter::new(
            r#"grep -q '"function":"openTicket"' && echo '{"outcome":"failure","crmData":{}}'"#,
        );
        assert_eq!(
            adapter.call(&request()).await.unwrap().outcome,
            Outcome::Failure
        );
    }

    #[tokio::test]
    async fn non_zero_exit_carries_stderr() {
        let err = CommandAdapter::new("echo boom >&2; exit 3")
            .call(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, AdapterCallError::Exit { .. }), "{err}");
        assert_eq!(err.stderr(), Some("boom\n"));
    }

    #[tokio::test]
    async fn invalid_json_is_an_error() {
        let err = CommandAdapter::new("echo nope")
            .call(&request())
            .await
            .unwrap_err();
        assert!(matches!(err, AdapterCallError::InvalidJson { .. }), "{err}");
    }

    #[tokio::test]
    async fn a_hanging_adapter_is_killed() {
        let adapter = CommandAdapter::new("echo started >&2; sleep 30; sleep 30")
            .with_timeout(Duration::from_millis(300));
        let started = std::time::Instant::now();
        let err = adapter.call(&request()).await.unwrap_err();
        assert!(matches!(err, AdapterCallError::Timeout { .. }), "{err}");
        assert_eq!(err.stderr(), Some("started\n"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
