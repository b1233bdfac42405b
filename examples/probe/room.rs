//! §7 server-mode cases: registration, lists, rooms, pokes and kicks,
//! notifications acknowledged and resent, the reply cache, and malformed
//! datagrams (last: a server that dies on one fails no other case).
//!
//! Replies and notifications are checked against a sockwire
//! [`RoomServer`] fed the same datagrams ([`World`]). The cases marked
//! "resend schedule" and "`ls`" check rules of the contract that only a
//! server with the backoff schedule and the bounded notification queue
//! follows; they are written from the contract's words, not the shadow.

use std::time::{Duration, Instant};

use sockwire::room::RoomServer;

use super::case::{Ctx, Outcome, Section};
use super::world::{World, notice_tag};

type RoomWorld<'a> = World<'a, RoomServer>;

/// Runs a case body in a fresh world; its `Ok` detail passes.
fn run(ctx: &Ctx, body: impl FnOnce(&mut RoomWorld) -> Result<String, Outcome>) -> Outcome {
    let mut w = World::new(ctx, RoomServer::default());
    match body(&mut w) {
        Ok(detail) => w.passed(detail),
        Err(o) => o,
    }
}

/// Registers `names`, one client each; their indices.
fn register(w: &mut RoomWorld, names: &[&str]) -> Result<Vec<usize>, Outcome> {
    let mut all = Vec::new();
    for name in names {
        let c = w.client()?;
        w.request(c, &format!("hi {name}"))?;
        all.push(c);
    }
    w.settle()?;
    Ok(all)
}

/// Requests, each answered before the next.
fn each(w: &mut RoomWorld, steps: &[(usize, &str)]) -> Result<(), Outcome> {
    for &(c, body) in steps {
        w.request(c, body)?;
        w.settle()?;
    }
    Ok(())
}

/// Every §7 case.
pub fn cases() -> Section {
    let mut s = Section::new(7);
    s.case("hi registers, ka is answered, by unregisters", |ctx| {
        run(ctx, |w| {
            let a = w.client()?;
            each(w, &[(a, "hi p1alice"), (a, "ka"), (a, "ul"), (a, "by")])?;
            Ok("registered, kept alive, listed, unregistered".into())
        })
    });
    s.case("a taken name, a bad name, a rename", |ctx| {
        run(ctx, |w| {
            let [a, b] = register(w, &["p2ann", "p2bob"])?[..] else {
                unreachable!()
            };
            each(
                w,
                &[
                    (b, "hi p2ann"),
                    (b, "hi bad.name!"),
                    (a, "hi p2zed"),
                    (a, "ul"),
                ],
            )?;
            Ok("name-taken, bad-name and the rename as the contract says".into())
        })
    });
    s.case("requests before hi get er not-registered", |ctx| {
        run(ctx, |w| {
            let a = w.client()?;
            each(w, &[(a, "ul"), (a, "rc p3room"), (a, "ms hello")])?;
            Ok("each refused with not-registered".into())
        })
    });
    s.case(
        "lists are sorted by name; an empty list is the bare op",
        |ctx| {
            run(ctx, |w| {
                let [a, ..] = register(w, &["p4cat", "p4ant", "p4bee"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "ul"),
                        (a, "rl"),
                        (a, "rc p4zz"),
                        (a, "rc p4aa"),
                        (a, "rl"),
                    ],
                )?;
                Ok("users and rooms listed in name order".into())
            })
        },
    );
    s.case(
        "a room: create, join, say, leave (jn, ms, lv notifications)",
        |ctx| {
            run(ctx, |w| {
                let [a, b] = register(w, &["p5ann", "p5bob"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "rc p5room"),
                        (a, "rc p5room"),
                        (b, "rj p5room"),
                        (b, "ms hello there,  two spaces"),
                        (a, "ms "),
                        (b, "rk"),
                        (b, "rk"),
                        (b, "rj p5none"),
                        (b, "ms alone?"),
                    ],
                )?;
                Ok("replies and notifications as the contract says".into())
            })
        },
    );
    s.case(
        "kick: the owner empties the room (kd); a member may not",
        |ctx| {
            run(ctx, |w| {
                let [a, b, c] = register(w, &["p6own", "p6bob", "p6cid"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "rc p6room"),
                        (b, "rj p6room"),
                        (c, "rj p6room"),
                        (b, "kk"),
                        (a, "kk"),
                        (b, "kk"),
                    ],
                )?;
                Ok("not-owner refused, the owner's kick notified".into())
            })
        },
    );
    s.case(
        "the owner leaves: the longest member owns the room",
        |ctx| {
            run(ctx, |w| {
                let [a, b, c] = register(w, &["p7own", "p7bob", "p7cid"])?[..] else {
                    unreachable!()
                };
                each(
                    w,
                    &[
                        (a, "rc p7room"),
                        (b, "rj p7room"),
                        (c, "rj p7room"),
                        (a, "rk"),
                        (b, "kk"),
                        (a, "rl"),
                    ],
                )?;
                Ok("ownership passed on; the room went when empty".into())
            })
        },
    );
    s.case(
        "poke: ar gives the address, the poked user gets pa",
        |ctx| {
            run(ctx, |w| {
                let [a, _] = register(w, &["p8ann", "p8bob"])?[..] else {
                    unreachable!()
                };
                each(w, &[(a, "ar p8bob"), (a, "ar p8nobody")])?;
                Ok("pa reply and pa notification with the addresses the server saw".into())
            })
        },
    );
    s.case(
        "a retransmitted request gets the same reply and is not run twice",
        retransmit,
    );
    s.case("the reply cache holds the last 4 requests", |ctx| {
        run(ctx, |w| {
            let [a] = register(w, &["p10ann"])?[..] else {
                unreachable!()
            };
            let first = w.request(a, "rc p10room")?;
            w.settle()?;
            each(w, &[(a, "ka"), (a, "ka"), (a, "ka")])?;
            w.send(a, format!("{first} rc p10room").as_bytes())?;
            w.settle()?;
            Ok("a request 3 requests back answered from the cache".into())
        })
    });
    s.case("an unknown op, a missing argument: er bad-request", |ctx| {
        run(ctx, |w| {
            let [a] = register(w, &["p11ann"])?[..] else {
                unreachable!()
            };
            each(w, &[(a, "zz"), (a, "rc"), (a, "hi"), (a, "ar")])?;
            Ok("each refused with bad-request".into())
        })
    });
    s.case(
        "a datagram over 4,096 bytes: er too-long, with its tag",
        |ctx| {
            run(ctx, |w| {
                let [a] = register(w, &["p12ann"])?[..] else {
                    unreachable!()
                };
                let long = format!("ms {}", "x".repeat(4100));
                each(w, &[(a, &long), (a, "ka")])?;
                Ok("too-long, and the server goes on".into())
            })
        },
    );
    s.case(
        "a notification not acknowledged is resent after about 500 ms",
        |ctx| resend(ctx, 1),
    );
    s.case("resend schedule: 500 ms, then doubling (1 s, 2 s)", |ctx| {
        resend(ctx, 3)
    });
    s.case("an acknowledged notification is not resent", |ctx| {
        run(ctx, |w| {
            let [a, b] = register(w, &["p15ann", "p15bob"])?[..] else {
                unreachable!()
            };
            each(w, &[(a, "rc p15room"), (b, "rj p15room")])?;
            match w.raw_recv(a, Duration::from_millis(900))? {
                None => Ok("no resend within 900 ms of the acknowledgement".into()),
                Some(d) => Err(w.failed(format!(
                    "after the acknowledgement, got {:?}",
                    String::from_utf8_lossy(&d)
                ))),
            }
        })
    });
    s.case(
        "ls: a client's queue overflows, the loss is reported",
        overflow,
    );
    s.case(
        "malformed: an empty datagram, an unreadable tag, invalid UTF-8",
        |ctx| {
            run(ctx, |w| {
                let [a] = register(w, &["p17ann"])?[..] else {
                    unreachable!()
                };
                for bad in [&b""[..], b"x1 ul", b"7 ms caf\xc3", b"8 hi \xff\xfe"] {
                    w.send(a, bad)?;
                    w.settle()?;
                    w.quiet(a)?;
                    w.request(a, "ka")?;
                    w.settle()?;
                }
                Ok("each dropped or refused as the contract says, and the server goes on".into())
            })
        },
    );
    s.case(
        "malformed: by from a stranger, an ak from a stranger",
        |ctx| {
            run(ctx, |w| {
                let [a] = register(w, &["p18ann"])?[..] else {
                    unreachable!()
                };
                let stranger = w.client()?;
                w.request(stranger, "by")?;
                w.send(stranger, b"n1 ak")?;
                w.settle()?;
                each(w, &[(a, "ul")])?;
                Ok("answered as the contract says, and the server goes on".into())
            })
        },
    );
    s
}

/// A request sent twice (and a `ms` sent twice): one reply each time, one
/// effect.
fn retransmit(ctx: &Ctx) -> Outcome {
    run(ctx, |w| {
        let [a, b] = register(w, &["p9ann", "p9bob"])?[..] else {
            unreachable!()
        };
        let tag = w.request(a, "rc p9room")?;
        w.settle()?;
        w.send(a, format!("{tag} rc p9room").as_bytes())?;
        w.settle()?;
        each(w, &[(b, "rj p9room")])?;
        let tag = w.request(b, "ms only once")?;
        w.settle()?;
        w.send(b, format!("{tag} ms only once").as_bytes())?;
        w.settle()?;
        w.quiet(a)?;
        Ok("the second rc answered ok from the cache; the repeated ms relayed once".into())
    })
}

/// A notification left unacknowledged: `resends` resends of it, each
/// checked against the contract's schedule (500 ms, then doubling).
fn resend(ctx: &Ctx, resends: u32) -> Outcome {
    run(ctx, |w| {
        let [a, b] = register(w, &["p13ann", "p13bob"])?[..] else {
            unreachable!()
        };
        each(w, &[(a, "rc p13room")])?;
        w.ack = false;
        w.request(b, "rj p13room")?;
        w.settle()?;
        let first = w.got.clone();
        let notice = first
            .split(|&x| x == b'\n')
            .rev()
            .find(|d| notice_tag(d).is_some())
            .map(<[u8]>::to_vec)
            .ok_or_else(|| w.failed("no notification came".into()))?;
        let mut since = Instant::now();
        let mut gaps = Vec::new();
        for i in 0..resends {
            let want = Duration::from_millis(500) * 2u32.pow(i);
            let d = w.raw_recv(a, want * 2 + ctx.timeout)?;
            let gap = since.elapsed();
            since = Instant::now();
            match d {
                Some(d) if d == notice => gaps.push(gap),
                Some(d) => {
                    return Err(w.failed(format!(
                        "expected the resend of {:?}, got {:?}",
                        String::from_utf8_lossy(&notice),
                        String::from_utf8_lossy(&d)
                    )));
                }
                None => return Err(w.failed(format!("resend {} did not come", i + 1))),
            }
            if gap < want * 7 / 10 || gap > want * 2 {
                return Err(w.failed(format!(
                    "resend {} came after {} ms; the contract says {} ms",
                    i + 1,
                    gap.as_millis(),
                    want.as_millis()
                )));
            }
        }
        let tag = notice_tag(&notice).map(<[u8]>::to_vec).unwrap_or_default();
        let mut ack = tag;
        ack.extend_from_slice(b" ak");
        w.raw_send(a, &ack)?;
        let shown: Vec<String> = gaps
            .iter()
            .map(|g| format!("{} ms", g.as_millis()))
            .collect();
        Ok(format!("resent after {}", shown.join(", then ")))
    })
}

/// Notifications to one client that never acknowledges: 64 in flight,
/// 1,024 waiting, 10 more; the oldest waiting are dropped and one `ls`
/// says how many.
fn overflow(ctx: &Ctx) -> Outcome {
    const EXTRA: usize = 10;
    const SAID: usize = 64 + 1024 + EXTRA;
    run(ctx, |w| {
        let [a, b] = register(w, &["p16ann", "p16bob"])?[..] else {
            unreachable!()
        };
        each(w, &[(a, "rc p16room"), (b, "rj p16room")])?;
        // raw from here on: the shadow does not keep the queue's bound
        for i in 0..SAID {
            w.raw_send(b, format!("{} ms {i}", 100 + i).as_bytes())?;
            if i % 32 == 31 {
                while w.raw_recv(b, Duration::from_millis(1))?.is_some() {}
            }
        }
        while w.raw_recv(b, Duration::from_millis(50))?.is_some() {}
        let (mut said, mut lost, mut seqs) = (0, 0, std::collections::BTreeSet::new());
        let started = Instant::now();
        while started.elapsed() < ctx.timeout * 4 {
            let Some(d) = w.raw_recv(a, ctx.timeout)? else {
                break;
            };
            let Some(tag) = notice_tag(&d).map(<[u8]>::to_vec) else {
                continue;
            };
            let mut ack = tag.clone();
            ack.extend_from_slice(b" ak");
            w.raw_send(a, &ack)?;
            if !seqs.insert(tag.clone()) {
                continue;
            }
            let body = String::from_utf8_lossy(&d[tag.len()..]).into_owned();
            if body.starts_with(" ms ") {
                said += 1;
            } else if let Some(n) = body.strip_prefix(" ls ") {
                lost += n.trim().parse::<usize>().unwrap_or(0);
            }
            if said + lost >= SAID {
                break;
            }
        }
        let detail = format!("{said} ms notifications came, and ls reported {lost} lost");
        if said + lost == SAID && lost > 0 {
            Ok(detail)
        } else {
            Err(w.failed(format!(
                "{detail}; the contract: {SAID} in all, {EXTRA} reported lost by ls"
            )))
        }
    })
}
