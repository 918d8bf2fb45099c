//! Measures the server's memory with clients that ask for a large answer and never read it:
//! `non_readers ACTA DB CLIENTS PATH [SERVE FLAGS…]`, e.g.
//!
//! ```sh
//! cargo build --release --examples
//! target/release/examples/non_readers target/release/acta /tmp/r300k/acta.db 2000 \
//!     '/v1/summaries/yearly?as_of=2024-12-31&known_at=2030-01-01'
//! ```
//!
//! It makes an auditor token for the run (`acta token create`), starts `ACTA serve` on `DB`
//! with the flags, reads the answer once (its size, and the baseline after it), then opens
//! `CLIENTS` connections with a 4 KiB receive buffer that each send the request and read
//! nothing. Once every one has its status (seen with `peek`, which reads nothing), it prints
//! the statuses, the server's resident memory (`VmRSS`, `VmHWM`) and the kernel's TCP memory
//! (`/proc/net/sockstat`), checks that an ordinary request is answered, closes them, and
//! prints the memory again. All connections go to 127.0.0.1.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn memory_mib(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> f64 {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap()
            / 1024.0
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Pages of memory the kernel's TCP sockets hold, in MiB.
fn kernel_tcp_mib() -> f64 {
    let sockstat = std::fs::read_to_string("/proc/net/sockstat").unwrap_or_default();
    let pages = sockstat
        .lines()
        .find(|line| line.starts_with("TCP:"))
        .and_then(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let at = fields.iter().position(|field| *field == "mem")?;
            fields.get(at + 1)?.parse::<f64>().ok()
        })
        .unwrap_or(0.0);
    pages * 4096.0 / (1024.0 * 1024.0)
}

fn request(path: &str, token: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n\r\n")
}

/// Sends `path` and reads the whole answer: (status, bytes of the answer, head included).
fn read_whole(address: SocketAddr, path: &str, token: &str) -> (u16, usize) {
    let mut stream = TcpStream::connect(address).unwrap();
    let head = request(path, token).replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let status = std::str::from_utf8(&answer[9..12])
        .unwrap()
        .parse()
        .unwrap();
    (status, answer.len())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [acta, db, clients, path, flags @ ..] = args.as_slice() else {
        panic!("usage: non_readers ACTA DB CLIENTS PATH [SERVE FLAGS…]");
    };
    let clients: usize = clients.parse().expect("CLIENTS is a number");
    let name = format!("non-readers-{}", std::process::id());
    let made = Command::new(acta)
        .args([
            "token", "create", "--db", db, "--name", &name, "--role", "auditor",
        ])
        .output()
        .unwrap();
    assert!(made.status.success(), "{made:?}");
    let token = String::from_utf8(made.stdout).unwrap().trim().to_owned();

    let mut server = Command::new(acta)
        .args(["serve", "--db", db, "--addr", "127.0.0.1:0"])
        .args(flags)
        .env("RUST_LOG", "acta=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = server.id();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let address: SocketAddr = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the server stopped"
        );
        if let Some(at) = line.split(" on http://").nth(1) {
            break at.trim().parse().unwrap();
        }
    };
    std::thread::spawn(move || for _ in stderr.lines() {});

    let (status, answer_bytes) = read_whole(address, path, &token);
    assert_eq!(status, 200);
    std::thread::sleep(Duration::from_secs(1));
    let (baseline, _) = memory_mib(pid);
    println!(
        "answer {answer_bytes} bytes; baseline RSS {baseline:.0} MiB, kernel TCP {:.0} MiB",
        kernel_tcp_mib()
    );

    let started = Instant::now();
    let streams: Vec<TcpStream> = (0..clients)
        .map(|_| {
            let socket =
                socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
            socket.set_recv_buffer_size(4096).unwrap();
            socket.connect(&address.into()).unwrap();
            let mut stream: TcpStream = socket.into();
            stream.write_all(request(path, &token).as_bytes()).unwrap();
            stream
        })
        .collect();
    let deadline = started + Duration::from_secs(300);
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for stream in &streams {
        let mut line = [0u8; 12];
        let status = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break "no answer".to_owned();
            }
            stream.set_read_timeout(Some(left)).unwrap();
            match stream.peek(&mut line) {
                Ok(12) => break String::from_utf8_lossy(&line[9..12]).into_owned(),
                Ok(0) => break "closed".to_owned(),
                Err(error) => break error.kind().to_string(),
                Ok(_) => std::thread::sleep(Duration::from_millis(10)),
            }
        };
        *statuses.entry(status).or_default() += 1;
    }
    let answered = started.elapsed();
    std::thread::sleep(Duration::from_secs(1));
    let (rss, peak) = memory_mib(pid);
    let kernel = kernel_tcp_mib();
    let (ordinary, _) = read_whole(address, "/v1/head", &token);
    println!(
        "{clients} non-readers answered in {:.1} s: {statuses:?}; RSS {rss:.0} MiB (peak \
         {peak:.0}, +{:.0} over the baseline), kernel TCP {kernel:.0} MiB; an ordinary request: \
         {ordinary}",
        answered.as_secs_f64(),
        peak - baseline
    );
    drop(streams);
    std::thread::sleep(Duration::from_secs(5));
    let (after, _) = memory_mib(pid);
    println!(
        "after they left: RSS {after:.0} MiB (+{:.0} over the baseline), kernel TCP {:.0} MiB",
        after - baseline,
        kernel_tcp_mib()
    );
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = server.wait();
}
