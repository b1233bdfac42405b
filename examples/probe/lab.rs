//! §8 server-mode cases: the lab's room directory, checked against a
//! sockwire [`LabServer`] fed the same datagrams, then every malformed
//! datagram §8 names (last: a server that dies on one fails no other
//! case).

use std::time::Duration;

use sockwire::room::lab::LabServer;

use super::case::{Ctx, Outcome, Section, Verdict};
use super::world::World;

type LabWorld<'a> = World<'a, LabServer>;

/// Runs a case body in a fresh world; its `Ok` detail passes.
fn run(ctx: &Ctx, body: impl FnOnce(&mut LabWorld) -> Result<String, Outcome>) -> Outcome {
    let mut w = World::new(ctx, LabServer::default());
    w.bye = "by";
    w.ack = false;
    match body(&mut w) {
        Ok(detail) => w.passed(detail),
        Err(o) => o,
    }
}

/// Sends each datagram from its client, each answered before the next.
fn each(w: &mut LabWorld, steps: &[(usize, &str)]) -> Result<(), Outcome> {
    for &(c, d) in steps {
        w.send(c, d.as_bytes())?;
        w.settle()?;
    }
    Ok(())
}

/// Registers `names`, one client each; their indices.
fn register(w: &mut LabWorld, names: &[&str]) -> Result<Vec<usize>, Outcome> {
    let mut all = Vec::new();
    for name in names {
        let c = w.client()?;
        each(w, &[(c, &format!("hi {name}"))])?;
        all.push(c);
    }
    Ok(all)
}

/// A malformed datagram from client `from`: dropped, and the server
/// still answers `ul` from a registered client.
fn malformed(ctx: &Ctx, name: &'static str, bad: &'static [u8], stranger: bool) -> Outcome {
    run(ctx, |w| {
        let [a] = register(w, &[name])?[..] else {
            unreachable!()
        };
        let from = if stranger { w.client()? } else { a };
        w.send(from, bad)?;
        w.settle()?;
        w.quiet(from)?;
        each(w, &[(a, "ul")])?;
        Ok("dropped, and the server goes on".into())
    })
}

/// Every §8 case.
pub fn cases() -> Section {
    let mut s = Section::new(8);
    s.case("hi registers (hi NAME), by unregisters (by)", |ctx| {
        run(ctx, |w| {
            let a = w.client()?;
            each(w, &[(a, "hi p1ann"), (a, "ul"), (a, "by")])?;
            Ok("answered as §8 says".into())
        })
    });
    s.case("a taken name gets the bare hi", |ctx| {
        run(ctx, |w| {
            let [_, b] = register(w, &["p2ann", "p2bob"])?[..] else {
                unreachable!()
            };
            each(w, &[(b, "hi p2ann")])?;
            Ok("the bare hi".into())
        })
    });
    s.case("ul: one datagram per user, in name order", |ctx| {
        run(ctx, |w| {
            let [a, ..] = register(w, &["p3cat", "p3ant", "p3bee"])?[..] else {
                unreachable!()
            };
            each(w, &[(a, "ul")])?;
            Ok("one ul per user, sorted".into())
        })
    });
    s.case(
        "rc and rl: rooms created (the bare rc when it exists), listed in order",
        |ctx| {
            run(ctx, |w| {
                let [a] = register(w, &["p4ann"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "rl"),
                        (a, "rc p4zz"),
                        (a, "rc p4aa"),
                        (a, "rc p4aa"),
                        (a, "rl"),
                    ],
                )?;
                Ok("rc and rl as §8 says".into())
            })
        },
    );
    s.case(
        "rj: the bare rj for no such room; members get the peer lists",
        |ctx| {
            run(ctx, |w| {
                let [a, b, c] = register(w, &["p5ann", "p5bob", "p5cid"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "rj p5none"),
                        (a, "rc p5room"),
                        (a, "rj p5room"),
                        (b, "rj p5room"),
                        (c, "rj p5room"),
                    ],
                )?;
                Ok("__clear_peers__ and one rj IP PORT per other member, to every member".into())
            })
        },
    );
    s.case("rk: the members who stay get the refreshed lists", |ctx| {
        run(ctx, |w| {
            let [a, b, c] = register(w, &["p6ann", "p6bob", "p6cid"])?[..] else {
                unreachable!()
            };
            each(
                w,
                &[
                    (a, "rc p6room"),
                    (a, "rj p6room"),
                    (b, "rj p6room"),
                    (c, "rj p6room"),
                    (b, "rk"),
                ],
            )?;
            w.quiet(b)?;
            Ok("nothing to the leaver; the others refreshed".into())
        })
    });
    s.case("ar: a user's address (ar IP PORT), or the bare ar", |ctx| {
        run(ctx, |w| {
            let [a, _] = register(w, &["p7ann", "p7bob"])?[..] else {
                unreachable!()
            };
            each(w, &[(a, "ar p7bob"), (a, "ar p7nobody")])?;
            Ok("ar as §8 says".into())
        })
    });
    s.case("requests from an address that is not registered", |ctx| {
        run(ctx, |w| {
            let [_] = register(w, &["p8ann"])?[..] else { unreachable!() };
            let stranger = w.client()?;
            w.send(stranger, b"ul")?;
            w.settle()?;
            match w.next(stranger, ctx.quiet())? {
                None => Ok("dropped (sockwire's choice)".into()),
                Some(_) => Err(Outcome::new(
                    Verdict::Info,
                    "answered a list to an address that is not registered (the lab's server is looser; allowed)",
                )),
            }
        })
    });
    s.case("malformed: wrong argument count", |ctx| {
        malformed(ctx, "p9ann", b"hi two names", false)
    });
    s.case("malformed: an unknown word", |ctx| {
        malformed(ctx, "p10ann", b"hello there", false)
    });
    s.case("malformed: by from a stranger", |ctx| {
        run(ctx, |w| {
            let [a] = register(w, &["p11ann"])?[..] else {
                unreachable!()
            };
            let stranger = w.client()?;
            each(w, &[(stranger, "by"), (a, "ul")])?;
            Ok("answered as a by, and the server goes on".into())
        })
    });
    s.case("malformed: not UTF-8", |ctx| {
        malformed(ctx, "p12ann", b"hi caf\xc3", false)
    });
    s.case("malformed: an empty datagram", |ctx| {
        malformed(ctx, "p13ann", b"", false)
    });
    let _ = Duration::ZERO;
    s
}
