//! A small SMTP listener that fails on purpose: per message, it accepts, answers 451 (try again
//! later), answers 550 (never), or drops the connection once the message's data has arrived, so the
//! outbox's handling of each is tested against a real SMTP conversation.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the listener answers to the next message's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    Accept,
    /// `451 4.3.0`: a temporary failure.
    Transient,
    /// `550 5.1.1`: a permanent failure.
    Permanent,
    /// The data arrives whole, then the connection closes before any reply.
    DropAfterData,
}

/// One message's data as it arrived, with the answer it got.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub data: String,
    pub reply: Reply,
    pub at: Instant,
}

impl Delivery {
    pub fn message_id(&self) -> Option<&str> {
        self.data
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: "))
            .map(str::trim)
    }
}

pub struct FaultySmtp {
    script: Arc<Mutex<VecDeque<Reply>>>,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl FaultySmtp {
    /// Listens on `port`; answers the messages in the order of `script`, then accepts every further one.
    pub async fn start(port: u16, script: &[Reply]) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let this = Self {
            script: Arc::new(Mutex::new(script.iter().copied().collect())),
            deliveries: Arc::default(),
        };
        let (script, deliveries) = (this.script.clone(), this.deliveries.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (script, deliveries) = (script.clone(), deliveries.clone());
                tokio::spawn(async move {
                    let _ = converse(socket, &script, &deliveries).await;
                });
            }
        });
        this
    }

    /// Every message whose data arrived, whatever the answer.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().unwrap().clone()
    }

    /// The messages accepted with a 250.
    pub fn accepted(&self) -> Vec<Delivery> {
        self.deliveries()
            .into_iter()
            .filter(|d| d.reply == Reply::Accept)
            .collect()
    }
}

async fn converse(
    socket: tokio::net::TcpStream,
    script: &Mutex<VecDeque<Reply>>,
    deliveries: &Mutex<Vec<Delivery>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 faulty.test ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                write
                    .write_all(b"250-faulty.test\r\n250 8BITMIME\r\n")
                    .await?
            }
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => write.write_all(b"250 OK\r\n").await?,
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" {
                        break;
                    }
                    data.push_str(&line);
                }
                let reply = script.lock().unwrap().pop_front().unwrap_or(Reply::Accept);
                deliveries.lock().unwrap().push(Delivery {
                    data,
                    reply,
                    at: Instant::now(),
                });
                match reply {
                    Reply::Accept => write.write_all(b"250 2.0.0 queued\r\n").await?,
                    Reply::Transient => {
                        write
                            .write_all(b"451 4.3.0 mailbox busy, try again later\r\n")
                            .await?;
                    }
                    Reply::Permanent => {
                        write
                            .write_all(b"550 5.1.1 no such mailbox here\r\n")
                            .await?;
                    }
                    Reply::DropAfterData => return Ok(()),
                }
            }
            _ => write.write_all(b"502 command not implemented\r\n").await?,
        }
    }
}
