//! Command-line parsing for `node-tls serve|connect`, per the CLI contract: Node's
//! option names in kebab-case, options before `[HOST:]PORT`.

use std::collections::VecDeque;

/// A usage or option-value error: exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Options shared by `serve` and `connect` (the secure-context ones).
#[derive(Debug, Default)]
pub struct Common {
    pub keys: Vec<String>,
    pub certs: Vec<String>,
    pub ca: Vec<String>,
    pub pfx: Option<String>,
    pub passphrase: Option<String>,
    pub crl: Vec<String>,
    pub ciphers: Option<String>,
    pub ecdh_curve: Option<String>,
    pub secure_protocol: Option<String>,
    pub secure_options: Option<String>,
    pub min_version: Option<String>,
    pub max_version: Option<String>,
    pub alpn: Option<String>,
    pub json: bool,
    pub path: Option<String>,
}

/// `node-tls serve`.
#[derive(Debug, Default)]
pub struct Serve {
    pub common: Common,
    pub port: u16,
    pub host: String,
    pub request_cert: bool,
    pub reject_unauthorized: bool,
    pub honor_cipher_order: bool,
    pub sni: Vec<String>,
    pub handshake_timeout: Option<u64>,
    pub session_timeout: Option<u64>,
    pub ticket_keys: Option<String>,
    pub max_connections: Option<usize>,
    /// Loops (threads) sharing the port and the context; 0 is not allowed.
    pub threads: usize,
    pub ocsp_response: Option<String>,
    pub mode: Mode,
    pub print_cert: bool,
}

/// What `serve` does with a connection's data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// Write every chunk back.
    #[default]
    Echo,
    /// Read and discard.
    Sink,
    /// Write "welcome!\n" first, then echo (the spec's server).
    Welcome,
}

/// `node-tls connect`.
#[derive(Debug, Default)]
pub struct Connect {
    pub common: Common,
    pub host: String,
    pub port: u16,
    pub servername: Option<String>,
    pub reject_unauthorized: Option<bool>,
    pub request_ocsp: bool,
    pub send: Option<String>,
    pub count: usize,
    pub then: Vec<(String, u16)>,
}

/// The parsed command line.
#[derive(Debug)]
pub enum Command {
    Serve(Serve),
    Connect(Connect),
    /// `--help` (anywhere) or `help`: this text goes to stdout, exit 0.
    Help(String),
    /// `--version`: `node-tls X.Y.Z`, exit 0.
    Version,
}

/// Which subcommands take a flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Serve,
    Connect,
    Both,
}

/// One flag of the contract (`../shared/CLI.md`): the parser takes a value exactly for
/// the flags whose `value` is not empty, and the help text is made from this table.
#[derive(Debug)]
pub struct Flag {
    pub name: &'static str,
    /// The value's placeholder in the help (`FILE`, `N`), empty for a switch.
    pub value: &'static str,
    pub scope: Scope,
    pub help: &'static str,
}

const fn flag(name: &'static str, value: &'static str, scope: Scope, help: &'static str) -> Flag {
    Flag {
        name,
        value,
        scope,
        help,
    }
}

/// Every flag, in the contract's order.
pub const FLAGS: &[Flag] = &[
    flag(
        "--port",
        "N",
        Scope::Serve,
        "port to listen on (default 8000; 0 = any free port)",
    ),
    flag(
        "--host",
        "ADDR",
        Scope::Serve,
        "address to listen on (default 127.0.0.1)",
    ),
    flag(
        "--path",
        "SOCKET",
        Scope::Both,
        "a Unix socket: listen on it (serve) or connect to it",
    ),
    flag(
        "--servername",
        "NAME",
        Scope::Connect,
        "SNI name (default: HOST when it is a name; none for an IP address)",
    ),
    flag(
        "--key",
        "FILE",
        Scope::Both,
        "private key, PEM; repeatable (keys paired with certs by public key)",
    ),
    flag(
        "--cert",
        "FILE",
        Scope::Both,
        "certificate or chain, PEM; repeatable; a chain is sent as is",
    ),
    flag(
        "--pfx",
        "FILE",
        Scope::Both,
        "PKCS#12 key, certificate and CA certificates",
    ),
    flag(
        "--passphrase",
        "STR",
        Scope::Both,
        "passphrase of encrypted keys and --pfx",
    ),
    flag(
        "--ca",
        "FILE",
        Scope::Both,
        "certificates to trust instead of the default roots; repeatable",
    ),
    flag(
        "--crl",
        "FILE",
        Scope::Both,
        "certificate revocation list, PEM or DER; repeatable",
    ),
    flag(
        "--request-cert",
        "",
        Scope::Serve,
        "ask clients for a certificate",
    ),
    flag(
        "--reject-unauthorized",
        "",
        Scope::Serve,
        "refuse clients whose certificate is not authorized",
    ),
    flag(
        "--reject-unauthorized",
        "true|false",
        Scope::Connect,
        "refuse an unauthorized server (default true; false with NODE_TLS_REJECT_UNAUTHORIZED=0)",
    ),
    flag(
        "--ciphers",
        "STR",
        Scope::Both,
        "OpenSSL cipher-list string",
    ),
    flag(
        "--honor-cipher-order",
        "",
        Scope::Serve,
        "choose the suite by the server's --ciphers order",
    ),
    flag(
        "--ecdh-curve",
        "STR",
        Scope::Both,
        "auto, or a colon list: X25519, P-256, P-384",
    ),
    flag(
        "--secure-protocol",
        "STR",
        Scope::Both,
        "OpenSSL method name, e.g. TLSv1_2_method",
    ),
    flag(
        "--secure-options",
        "N",
        Scope::Both,
        "OpenSSL SSL_OP_* bits (decimal or 0x hex)",
    ),
    flag("--min-version", "V", Scope::Both, "TLSv1.2 or TLSv1.3"),
    flag("--max-version", "V", Scope::Both, "TLSv1.2 or TLSv1.3"),
    flag(
        "--alpn",
        "LIST",
        Scope::Both,
        "comma-separated ALPN protocols",
    ),
    flag(
        "--sni",
        "NAME=KEYFILE,CERTFILE[,CAFILE]",
        Scope::Serve,
        "a context for SNI NAME (wildcards like *.example.com); repeatable",
    ),
    flag(
        "--handshake-timeout",
        "MS",
        Scope::Serve,
        "abort handshakes slower than MS milliseconds",
    ),
    flag(
        "--session-timeout",
        "SECONDS",
        Scope::Serve,
        "lifetime of session tickets",
    ),
    flag(
        "--ticket-keys",
        "HEX",
        Scope::Serve,
        "96 hex digits (48 bytes) of ticket keys",
    ),
    flag(
        "--max-connections",
        "N",
        Scope::Serve,
        "refuse connections beyond N",
    ),
    flag(
        "--threads",
        "N",
        Scope::Serve,
        "N event loops on N threads, one port (SO_REUSEPORT), one context (default 1)",
    ),
    flag(
        "--ocsp-response",
        "FILE",
        Scope::Serve,
        "staple these bytes when a client asks",
    ),
    flag(
        "--mode",
        "echo|sink|welcome",
        Scope::Serve,
        "echo (default); sink: read and discard; welcome: write \"welcome!\\n\" then echo",
    ),
    flag(
        "--print-cert",
        "",
        Scope::Serve,
        "print the embedded certificate (PEM) and exit, for a client's --ca",
    ),
    flag(
        "--request-ocsp",
        "",
        Scope::Connect,
        "ask the server for an OCSP staple",
    ),
    flag(
        "--send",
        "TEXT",
        Scope::Connect,
        "write TEXT after secureConnect, then end (default: pipe stdin)",
    ),
    flag(
        "--count",
        "N",
        Scope::Connect,
        "connect N times in a row, each offering the previous session",
    ),
    flag(
        "--then",
        "[HOST:]PORT",
        Scope::Connect,
        "then connect here offering the previous session; repeatable",
    ),
    flag(
        "--json",
        "",
        Scope::Both,
        "one JSON object per event on stdout",
    ),
    flag("--help", "", Scope::Both, "print this help and exit"),
];

/// The flag `name` of `scope`'s subcommand.
fn find_flag(name: &str, scope: Scope) -> Option<&'static Flag> {
    FLAGS
        .iter()
        .find(|f| f.name == name && (f.scope == scope || f.scope == Scope::Both))
}

/// The help of `node-tls`, or of one subcommand, from [`FLAGS`].
pub fn help(scope: Option<Scope>) -> String {
    let usage_serve =
        "node-tls serve [OPTIONS]               TLS server; echoes by default, like the Node docs";
    let usage_connect =
        "node-tls connect [OPTIONS] [HOST:]PORT  TLS client (HOST defaults to localhost)";
    let Some(scope) = scope else {
        return format!(
            "node-tls {}: Node's tls module on rustls\n\nusage:\n  {usage_serve}\n  {usage_connect}\n  \
             node-tls --version\n\n`node-tls serve --help` and `node-tls connect --help` list the options.\n\
             Exit status: 0 done, 1 a connection or listen error, 2 a configuration error.\n",
            env!("CARGO_PKG_VERSION")
        );
    };
    let mut out = format!(
        "usage: {}\n\noptions:\n",
        if scope == Scope::Serve {
            usage_serve
        } else {
            usage_connect
        }
    );
    for f in FLAGS
        .iter()
        .filter(|f| f.scope == scope || f.scope == Scope::Both)
    {
        let left = if f.value.is_empty() {
            f.name.to_string()
        } else {
            format!("{} {}", f.name, f.value)
        };
        if left.len() < 28 {
            out.push_str(&format!("  {left:<28} {}\n", f.help));
        } else {
            out.push_str(&format!("  {left}\n  {:<28} {}\n", "", f.help));
        }
    }
    out
}

fn value(args: &mut VecDeque<String>, flag: &str) -> Result<String, UsageError> {
    args.pop_front()
        .ok_or_else(|| UsageError(format!("{flag} needs a value")))
}

fn number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, UsageError> {
    text.parse().map_err(|_| {
        let why = if text.parse::<i128>().is_ok() {
            "out of range"
        } else {
            "expected a number"
        };
        UsageError(format!("invalid {flag} value `{text}`: {why}"))
    })
}

/// A decimal or `0x` hexadecimal integer (`--secure-options`).
pub fn integer(text: &str, flag: &str) -> Result<u64, UsageError> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| {
        UsageError(format!(
            "invalid {flag} value `{text}`: expected an integer"
        ))
    })
}

/// Hex digits to bytes (`--ticket-keys`).
pub fn hex(text: &str, flag: &str) -> Result<Vec<u8>, UsageError> {
    let bad = || UsageError(format!("invalid {flag} value: expected hex digits"));
    if text.len() % 2 != 0 {
        return Err(bad());
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// Takes one option shared by both subcommands; `Ok(false)` when `flag` is not one.
fn common(c: &mut Common, flag: &str, args: &mut VecDeque<String>) -> Result<bool, UsageError> {
    match flag {
        "--key" => c.keys.push(value(args, flag)?),
        "--cert" => c.certs.push(value(args, flag)?),
        "--ca" => c.ca.push(value(args, flag)?),
        "--crl" => c.crl.push(value(args, flag)?),
        "--pfx" => c.pfx = Some(value(args, flag)?),
        "--passphrase" => c.passphrase = Some(value(args, flag)?),
        "--ciphers" => c.ciphers = Some(value(args, flag)?),
        "--ecdh-curve" => c.ecdh_curve = Some(value(args, flag)?),
        "--secure-protocol" => c.secure_protocol = Some(value(args, flag)?),
        "--secure-options" => c.secure_options = Some(value(args, flag)?),
        "--min-version" => c.min_version = Some(value(args, flag)?),
        "--max-version" => c.max_version = Some(value(args, flag)?),
        "--alpn" => c.alpn = Some(value(args, flag)?),
        "--path" => c.path = Some(value(args, flag)?),
        "--json" => c.json = true,
        _ => return Ok(false),
    }
    Ok(true)
}

/// `[HOST:]PORT`, HOST defaulting to `localhost`; `[::1]:443` for IPv6.
pub fn host_port(text: &str) -> Result<(String, u16), UsageError> {
    let bad = || UsageError(format!("invalid target `{text}`: expected [HOST:]PORT"));
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port,
        ),
        None => ("localhost".to_string(), text),
    };
    let port = port.parse().map_err(|_| bad())?;
    Ok((
        if host.is_empty() {
            "localhost".into()
        } else {
            host
        },
        port,
    ))
}

/// Parses `argv[1..]`.
pub fn parse(argv: Vec<String>) -> Result<Command, UsageError> {
    let mut args: VecDeque<String> = argv.into();
    let wants_help = args.iter().any(|a| a == "--help" || a == "-h");
    match args.pop_front().as_deref() {
        Some("serve") if wants_help => Ok(Command::Help(help(Some(Scope::Serve)))),
        Some("connect") if wants_help => Ok(Command::Help(help(Some(Scope::Connect)))),
        Some("serve") => parse_serve(args).map(Command::Serve),
        Some("connect") => parse_connect(args).map(Command::Connect),
        Some("--version" | "-V") => Ok(Command::Version),
        Some("help" | "--help" | "-h") => Ok(Command::Help(help(None))),
        Some(other) => Err(UsageError(format!(
            "unknown command `{other}`: usage: node-tls serve [OPTIONS] | node-tls connect [OPTIONS] [HOST:]PORT (see --help)"
        ))),
        None => Err(UsageError(
            "usage: node-tls serve [OPTIONS] | node-tls connect [OPTIONS] [HOST:]PORT (see --help)"
                .into(),
        )),
    }
}

fn parse_serve(mut args: VecDeque<String>) -> Result<Serve, UsageError> {
    let mut s = Serve {
        port: 8000,
        host: "127.0.0.1".into(),
        threads: 1,
        ..Serve::default()
    };
    while let Some(flag) = args.pop_front() {
        if find_flag(&flag, Scope::Serve).is_none() {
            return Err(UsageError(format!(
                "unknown option `{flag}` for serve (see serve --help)"
            )));
        }
        if common(&mut s.common, &flag, &mut args)? {
            continue;
        }
        match flag.as_str() {
            "--port" => s.port = number(&value(&mut args, &flag)?, &flag)?,
            "--host" => s.host = value(&mut args, &flag)?,
            "--request-cert" => s.request_cert = true,
            "--reject-unauthorized" => s.reject_unauthorized = true,
            "--honor-cipher-order" => s.honor_cipher_order = true,
            "--sni" => s.sni.push(value(&mut args, &flag)?),
            "--handshake-timeout" => {
                s.handshake_timeout = Some(number(&value(&mut args, &flag)?, &flag)?)
            }
            "--session-timeout" => {
                s.session_timeout = Some(number(&value(&mut args, &flag)?, &flag)?)
            }
            "--ticket-keys" => s.ticket_keys = Some(value(&mut args, &flag)?),
            "--max-connections" => {
                s.max_connections = Some(number(&value(&mut args, &flag)?, &flag)?)
            }
            "--threads" => {
                s.threads = number(&value(&mut args, &flag)?, &flag)?;
                if s.threads == 0 {
                    return Err(UsageError("--threads: at least 1".into()));
                }
            }
            "--ocsp-response" => s.ocsp_response = Some(value(&mut args, &flag)?),
            "--print-cert" => s.print_cert = true,
            "--mode" => {
                s.mode = match value(&mut args, &flag)?.as_str() {
                    "echo" => Mode::Echo,
                    "sink" => Mode::Sink,
                    "welcome" => Mode::Welcome,
                    other => {
                        return Err(UsageError(format!(
                            "invalid --mode value `{other}`: expected echo, sink or welcome"
                        )))
                    }
                }
            }
            other => return Err(UsageError(format!("unknown option `{other}` for serve"))),
        }
    }
    Ok(s)
}

fn parse_connect(mut args: VecDeque<String>) -> Result<Connect, UsageError> {
    let mut c = Connect {
        count: 1,
        ..Connect::default()
    };
    let mut target = None;
    while let Some(flag) = args.pop_front() {
        if flag.starts_with('-') && find_flag(&flag, Scope::Connect).is_none() {
            return Err(UsageError(format!(
                "unknown option `{flag}` for connect (see connect --help)"
            )));
        }
        if common(&mut c.common, &flag, &mut args)? {
            continue;
        }
        match flag.as_str() {
            "--servername" => c.servername = Some(value(&mut args, &flag)?),
            "--reject-unauthorized" => {
                c.reject_unauthorized = Some(match value(&mut args, &flag)?.as_str() {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(UsageError(format!(
                            "invalid --reject-unauthorized value `{other}`: expected true or false"
                        )))
                    }
                })
            }
            "--request-ocsp" => c.request_ocsp = true,
            "--send" => c.send = Some(value(&mut args, &flag)?),
            "--count" => c.count = number(&value(&mut args, &flag)?, &flag)?,
            "--then" => c.then.push(host_port(&value(&mut args, &flag)?)?),
            other if other.starts_with("--") => {
                return Err(UsageError(format!("unknown option `{other}` for connect")))
            }
            positional => {
                if target.is_some() {
                    return Err(UsageError(format!("unexpected argument `{positional}`")));
                }
                target = Some(host_port(positional)?);
            }
        }
    }
    match (target, &c.common.path) {
        (Some((host, port)), _) => {
            c.host = host;
            c.port = port;
        }
        (None, Some(_)) => c.host = "localhost".into(),
        (None, None) => {
            return Err(UsageError(
                "connect needs [HOST:]PORT or --path SOCKET".into(),
            ))
        }
    }
    if c.count == 0 {
        return Err(UsageError(
            "invalid --count value `0`: expected 1 or more".into(),
        ));
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn numbers_and_hex() {
        assert_eq!(integer("0x20000000", "f").unwrap(), 0x2000_0000);
        assert_eq!(integer("4194304", "f").unwrap(), 0x40_0000);
        assert!(integer("x", "f").is_err());
        assert_eq!(hex("00ff10", "f").unwrap(), [0, 255, 16]);
        assert!(hex("0", "f").is_err());
        assert!(hex("zz", "f").is_err());
    }

    /// Each flag of the table parses in its subcommands, taking a value exactly when
    /// the table gives it one (a switch that took one would swallow the `--json` after
    /// it), and is in its subcommand's help.
    #[test]
    fn the_flag_table_is_what_the_parser_takes() {
        let sample = |placeholder: &str| match placeholder {
            "N" | "MS" | "SECONDS" => "1",
            "true|false" => "true",
            "echo|sink|welcome" => "sink",
            "[HOST:]PORT" => "2",
            "HEX" => "00",
            _ => "x",
        };
        for f in FLAGS
            .iter()
            .filter(|f| f.name != "--help" && f.name != "--json")
        {
            for (sub, scope) in [("serve", Scope::Serve), ("connect", Scope::Connect)] {
                let mut args = vec![sub.to_string(), f.name.to_string()];
                if !f.value.is_empty() {
                    args.push(sample(f.value).to_string());
                }
                args.push("--json".into());
                if sub == "connect" {
                    args.push("1".into());
                }
                let applies = f.scope == scope || f.scope == Scope::Both;
                if find_flag(f.name, scope).is_some() && !applies {
                    continue; // the same name has another entry for this subcommand
                }
                let json = match parse(args.clone()) {
                    Ok(Command::Serve(s)) => s.common.json,
                    Ok(Command::Connect(c)) => c.common.json,
                    Ok(other) => panic!("{args:?}: {other:?}"),
                    Err(e) => {
                        assert!(!applies, "{args:?}: {e}");
                        assert!(e.0.contains("unknown option"), "{args:?}: {e}");
                        continue;
                    }
                };
                assert!(
                    applies,
                    "{args:?} parsed, the table says {:?} only",
                    f.scope
                );
                assert!(json, "{args:?}: the value count is wrong");
                assert!(help(Some(scope)).contains(f.name), "{args:?}");
            }
        }
        let Ok(Command::Help(text)) = parse(argv("serve --port 1 --help")) else {
            panic!()
        };
        assert!(text.starts_with("usage: node-tls serve [OPTIONS]"));
        assert!(matches!(parse(argv("--version")), Ok(Command::Version)));
        assert!(matches!(parse(argv("--help")), Ok(Command::Help(_))));
        let err = parse(argv("serve --bogus")).unwrap_err();
        assert_eq!(
            err.0,
            "unknown option `--bogus` for serve (see serve --help)"
        );
    }

    #[test]
    fn targets() {
        assert_eq!(host_port("8000").unwrap(), ("localhost".into(), 8000));
        assert_eq!(
            host_port("127.0.0.1:443").unwrap(),
            ("127.0.0.1".into(), 443)
        );
        assert_eq!(host_port("[::1]:443").unwrap(), ("::1".into(), 443));
        assert!(host_port("x:y").is_err());
    }

    #[test]
    fn serve_and_connect() {
        let Command::Serve(s) = parse(argv(
            "serve --key a --key b --cert c --request-cert --port 0 --mode sink",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(s.common.keys, ["a", "b"]);
        assert!(s.request_cert && !s.reject_unauthorized);
        assert_eq!((s.port, s.mode), (0, Mode::Sink));
        let Command::Connect(c) = parse(argv(
            "connect --reject-unauthorized false --send hi 127.0.0.1:9",
        ))
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            (c.host.as_str(), c.port, c.reject_unauthorized),
            ("127.0.0.1", 9, Some(false))
        );
        assert!(parse(argv("connect --bogus 1")).is_err());
        assert!(parse(argv("serve --mode loud")).is_err());
        assert!(parse(argv("connect")).is_err());
    }
}
