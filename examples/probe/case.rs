//! The case framework: numbered cases, their verdicts and what they sent,
//! expected and got, and the runner that bounds each one in time.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use sockwire::builtin::ReplyPolicy;

/// A case's verdict, after Autobahn|Testsuite's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Follows the contract.
    Pass,
    /// Breaks the contract.
    Fail,
    /// Allowed, but not the best behaviour.
    NonStrict,
    /// A behaviour worth knowing.
    Info,
}

impl Verdict {
    /// The word in the table and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::NonStrict => "non-strict",
            Verdict::Info => "info",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a case found: its verdict, a sentence, and the bytes.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub verdict: Verdict,
    pub detail: String,
    /// Everything the case sent on its main connection (or datagrams,
    /// one after the other).
    pub sent: Vec<u8>,
    /// What a correct peer sends back, as sockwire computes it.
    pub expected: Vec<u8>,
    /// What came back.
    pub got: Vec<u8>,
}

impl Outcome {
    /// A verdict and a sentence, no bytes.
    pub fn new(verdict: Verdict, detail: impl Into<String>) -> Self {
        Outcome {
            verdict,
            detail: detail.into(),
            sent: Vec::new(),
            expected: Vec::new(),
            got: Vec::new(),
        }
    }

    /// `pass`, with a sentence.
    pub fn pass(detail: impl Into<String>) -> Self {
        Self::new(Verdict::Pass, detail)
    }

    /// `fail`, with a sentence.
    pub fn fail(detail: impl Into<String>) -> Self {
        Self::new(Verdict::Fail, detail)
    }

    /// The same outcome with these bytes.
    pub fn with_bytes(mut self, sent: &[u8], expected: &[u8], got: &[u8]) -> Self {
        self.sent = sent.to_vec();
        self.expected = expected.to_vec();
        self.got = got.to_vec();
        self
    }
}

/// What every case of a run shares.
pub struct Ctx {
    /// The server's address (server mode).
    pub addr: SocketAddr,
    /// The protocol checked.
    pub target: super::Target,
    /// The reply policy the server is checked against.
    pub reply: ReplyPolicy,
    /// How long any one wait of a case may take.
    pub timeout: Duration,
    /// The server closed the connection after its first reply (§6's
    /// `app-server.py`): later cases open a connection per request.
    pub closes_after_reply: AtomicBool,
}

impl Ctx {
    /// Whether the server closes the connection after each reply.
    pub fn closes_after_reply(&self) -> bool {
        self.closes_after_reply.load(Ordering::Relaxed)
    }

    /// A short quiet period: how long to wait to see that nothing comes,
    /// when something would come at once from a correct peer.
    pub fn quiet(&self) -> Duration {
        self.timeout.min(Duration::from_millis(300))
    }
}

/// The body of a case.
pub type Run = Box<dyn Fn(&Ctx) -> Outcome + Send + Sync>;

/// One numbered case.
pub struct Case {
    /// `5.3`: the section of the wire contract (§N in the crate docs), then the number.
    pub id: String,
    /// One line.
    pub title: String,
    pub run: Run,
}

/// Numbers the cases of one section in order.
pub struct Section {
    pub number: u32,
    pub cases: Vec<Case>,
}

impl Section {
    pub fn new(number: u32) -> Self {
        Section {
            number,
            cases: Vec::new(),
        }
    }

    /// Adds the next case.
    pub fn case(
        &mut self,
        title: impl Into<String>,
        run: impl Fn(&Ctx) -> Outcome + Send + Sync + 'static,
    ) {
        let id = format!("{}.{}", self.number, self.cases.len() + 1);
        self.cases.push(Case {
            id,
            title: title.into(),
            run: Box::new(run),
        });
    }
}

/// One case's result.
pub struct Record {
    pub id: String,
    pub title: String,
    pub outcome: Outcome,
    pub time: Duration,
}

/// How long a whole case may take: many waits, each bounded by the
/// timeout, plus its own pauses.
pub fn case_limit(timeout: Duration) -> Duration {
    timeout * 8 + Duration::from_secs(5)
}

/// Runs the cases in order, each on a thread of its own bounded by
/// [`case_limit`]: a case that hangs is reported and the run goes on.
/// `each` sees every record as it is made.
pub fn run_cases(ctx: Arc<Ctx>, cases: Vec<Case>, mut each: impl FnMut(&Record)) -> Vec<Record> {
    let mut records = Vec::new();
    for case in cases {
        let case = Arc::new(case);
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let (c, k) = (Arc::clone(&ctx), Arc::clone(&case));
        thread::spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (k.run)(&c)));
            let _ = tx.send(result);
        });
        let limit = case_limit(ctx.timeout);
        let outcome = match rx.recv_timeout(limit) {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(panic)) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                Outcome::fail(format!("the probe itself failed in this case: {why}"))
            }
            Err(_) => Outcome::fail(format!(
                "the case did not finish within {:.1} s (the peer hung)",
                limit.as_secs_f64()
            )),
        };
        let record = Record {
            id: case.id.clone(),
            title: case.title.clone(),
            outcome,
            time: started.elapsed(),
        };
        each(&record);
        records.push(record);
    }
    records
}

/// Whether `id` picks `case` (`--case 5.3`, or a whole section `5`).
pub fn selected(filter: Option<&str>, id: &str) -> bool {
    match filter {
        None => true,
        Some(f) => id == f || id.split('.').next() == Some(f),
    }
}
