//! Rust's servers in an image (scripts/images rust), the counterpart of
//! services.py: hyper's HTTP/1.1 server on 8080, a tokio echo server on
//! 7007 and a std::net echo server with a thread a client on 7009, all
//! in one process on tokio's multi-threaded runtime.  Before serving it
//! prints the address of each name given as an argument (std's and
//! tokio's lookups, getaddrinfo underneath).  GET /quit ends it: the
//! HTTP server drains, the runtime's threads are joined, exit status 0.
//!
//! HTTP routes: /  (a count of visits), /bytes?n=N (N bytes, byte i is
//! i % 251), POST /echo (the body back), /sleep?ms=M (a tokio timer;
//! says how long it slept), /file?p=PATH (tokio::fs, its blocking
//! pool), /panic (a task that panics: the panic is caught at its join,
//! so unwinding must work), /quit.
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Method, Request, Response, Server, StatusCode};
use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;

struct State {
    visits: AtomicU64,
    quit: Mutex<Option<oneshot::Sender<()>>>,
}

fn query<'a>(req: &'a Request<Body>, key: &str) -> Option<&'a str> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| v)
    })
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "text/plain")
        .body(Body::from(body))
        .unwrap()
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

async fn route(req: Request<Body>, st: Arc<State>) -> Response<Body> {
    let num = |k| query(&req, k).and_then(|v| v.parse::<u64>().ok());
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/") => {
            let n = st.visits.fetch_add(1, Ordering::Relaxed) + 1;
            text(StatusCode::OK, format!("hello from Rust, visit {}\n", n))
        }
        (&Method::GET, "/bytes") => match num("n") {
            Some(n) if n <= 64 << 20 => Response::new(Body::from(pattern(n as usize))),
            _ => text(StatusCode::BAD_REQUEST, "n: 0 to 64 MiB\n".into()),
        },
        (&Method::POST, "/echo") => match hyper::body::to_bytes(req.into_body()).await {
            Ok(b) => Response::new(Body::from(b)),
            Err(e) => text(StatusCode::BAD_REQUEST, format!("{}\n", e)),
        },
        (&Method::GET, "/sleep") => {
            let ms = num("ms").unwrap_or(0).min(60_000);
            let t = Instant::now();
            tokio::time::sleep(Duration::from_millis(ms)).await;
            text(StatusCode::OK, format!("slept {} ms\n", t.elapsed().as_millis()))
        }
        (&Method::GET, "/file") => {
            let p = query(&req, "p").unwrap_or("").to_string();
            match tokio::fs::read(&p).await {
                Ok(b) => Response::new(Body::from(b)),
                Err(e) => text(StatusCode::NOT_FOUND, format!("{}: {}\n", p, e)),
            }
        }
        (&Method::GET, "/panic") => {
            let r = tokio::spawn(async { panic!("on purpose") }).await;
            match r {
                Err(e) if e.is_panic() => {
                    let m = e.into_panic();
                    let m = m.downcast_ref::<&str>().copied().unwrap_or("?");
                    text(StatusCode::INTERNAL_SERVER_ERROR, format!("task panicked: {}\n", m))
                }
                _ => text(StatusCode::OK, "the task did not panic\n".into()),
            }
        }
        (&Method::GET, "/quit") => {
            if let Some(tx) = st.quit.lock().unwrap().take() {
                let _ = tx.send(());
            }
            text(StatusCode::OK, "bye\n".into())
        }
        _ => text(StatusCode::NOT_FOUND, "no such route\n".into()),
    }
}

async fn tokio_echo(port: u16) -> std::io::Result<()> {
    let l = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
    loop {
        let (mut s, _) = l.accept().await?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65536];
            loop {
                let n = match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if s.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        });
    }
}

fn thread_echo(l: std::net::TcpListener) {
    for s in l.incoming() {
        let mut s = match s {
            Ok(s) => s,
            Err(_) => continue,
        };
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            loop {
                let n = match s.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if s.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
        });
    }
}

async fn lookups(names: &[String]) {
    for name in names {
        match tokio::net::lookup_host((name.as_str(), 80)).await {
            Ok(mut a) => match a.next() {
                Some(a) => println!("lookup {}: {}", name, a.ip()),
                None => println!("lookup {}: no address", name),
            },
            Err(e) => println!("lookup {}: {}", name, e),
        }
    }
}

#[tokio::main]
async fn main() {
    let names: Vec<String> = std::env::args().skip(1).collect();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    println!("rust services: {} cpus", cpus);
    lookups(&names).await;
    tokio::spawn(async {
        if let Err(e) = tokio_echo(7007).await {
            eprintln!("tokio echo: {}", e);
        }
    });
    let l = std::net::TcpListener::bind("0.0.0.0:7009").expect("bind 7009");
    std::thread::spawn(move || thread_echo(l));
    let (tx, rx) = oneshot::channel::<()>();
    let st = Arc::new(State { visits: AtomicU64::new(0), quit: Mutex::new(Some(tx)) });
    let make = make_service_fn(move |_| {
        let st = st.clone();
        async move {
            Ok::<_, Infallible>(service_fn(move |req| {
                let st = st.clone();
                async move { Ok::<_, Infallible>(route(req, st).await) }
            }))
        }
    });
    let addr = SocketAddr::from(([0, 0, 0, 0], 8080));
    let server = Server::bind(&addr).serve(make);
    println!("http on {}, echo on 7007 (tokio) and 7009 (threads)", addr);
    let graceful = server.with_graceful_shutdown(async {
        let _ = rx.await;
    });
    if let Err(e) = graceful.await {
        eprintln!("http: {}", e);
        std::process::exit(1);
    }
    println!("rust services: done");
}
