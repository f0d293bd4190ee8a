//! The node config file, `<home>/config/quired.toml`: [`NodeConfig`] and one
//! descriptor per key ([`TextField`], [`PathField`], [`IntField`]) holding its
//! name, default, what it allows and the comment `quired init` writes.
//!
//! The descriptors are the only place these facts live: `NodeConfig::default`
//! takes its values from them, [`NodeConfig::validate`] checks each value
//! against them and [`NodeConfig::to_toml`] writes their names and comments.
//! [`NodeConfig::entries`] pairs every field of the struct with its descriptor
//! (the compiler checks that none is left out). A test compares
//! docs/configuration.md with the descriptors, so the doc cannot drift.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The config file, relative to the home directory.
pub const CONFIG_FILE: &str = "config/quired.toml";

/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// `abci_addr`: where CometBFT's `proxy_app` connects (CometBFT's default).
pub const ABCI_ADDR: TextField = TextField {
    name: "abci_addr",
    default: "tcp://127.0.0.1:26658",
    rule: TextRule::AbciAddr,
    comment: "where quired listens for CometBFT (tcp://host:port or unix:///path)",
};

/// `db_path`: the redb database, relative to the home unless absolute.
pub const DB_PATH: PathField = PathField {
    name: "db_path",
    default: "data/quired.redb",
    comment: "relative to home",
};

/// `log_filter`: the `tracing` EnvFilter directive (`RUST_LOG` overrides it).
pub const LOG_FILTER: TextField = TextField {
    name: "log_filter",
    default: "info",
    rule: TextRule::LogFilter,
    comment: "tracing EnvFilter directive",
};

/// `log_format`: `text` (human-readable lines) or `json` (one JSON object
/// per line, for log collectors).
pub const LOG_FORMAT: TextField = TextField {
    name: "log_format",
    default: "text",
    rule: TextRule::LogFormat,
    comment: "log lines as text or json",
};

/// `metrics_addr`: where quired serves its Prometheus metrics (`/metrics`;
/// loopback only by default). Port 26661: CometBFT's own metrics default to
/// 26660.
pub const METRICS_ADDR: TextField = TextField {
    name: "metrics_addr",
    default: "127.0.0.1:26661",
    rule: TextRule::ListenAddr,
    comment: "Prometheus metrics listen address (ip:port, /metrics); \"\" disables it",
};

/// `cometbft_rpc`: this node's CometBFT RPC (CometBFT's default `rpc.laddr`).
pub const COMETBFT_RPC: TextField = TextField {
    name: "cometbft_rpc",
    default: "http://127.0.0.1:26657",
    rule: TextRule::HttpUrl,
    comment: "this node's CometBFT RPC (http:// or https://), used by the read API",
};

/// `grpc_addr`: the gRPC read API's listen address (loopback only), which
/// also serves the Cosmos services (`crate::cosmos::grpc`). Not port 9090 by
/// default, the Cosmos SDK's gRPC port (docs/configuration.md).
pub const GRPC_ADDR: TextField = TextField {
    name: "grpc_addr",
    default: "127.0.0.1:9190",
    rule: TextRule::ListenAddr,
    comment: "gRPC read API listen address (ip:port); \"\" disables it",
};

/// `http_addr`: the HTTP/JSON read API's listen address (loopback only).
pub const HTTP_ADDR: TextField = TextField {
    name: "http_addr",
    default: "127.0.0.1:8080",
    rule: TextRule::ListenAddr,
    comment: "HTTP/JSON read API listen address (ip:port); \"\" disables it",
};

/// `api_max_range`: most heights one range request of the read API returns.
pub const API_MAX_RANGE: IntField = IntField {
    name: "api_max_range",
    default: 100,
    min: 1,
    max: 1000,
    unit: Unit::Heights,
    comment: "most heights one range request returns",
};

/// `snapshot_interval`: a state-sync snapshot every this many heights.
pub const SNAPSHOT_INTERVAL: IntField = IntField {
    name: "snapshot_interval",
    default: 0,
    min: 0,
    max: 1_000_000,
    unit: Unit::Heights,
    comment: "a state-sync snapshot every this many heights (data/snapshots); 0 takes none",
};

/// `snapshot_keep_recent`: how many snapshots are kept.
pub const SNAPSHOT_KEEP_RECENT: IntField = IntField {
    name: "snapshot_keep_recent",
    default: 2,
    min: 1,
    max: 100,
    unit: Unit::Snapshots,
    comment: "how many of the newest snapshots are kept",
};

/// `snapshot_index_heights`: how many recent heights' blob index a snapshot carries.
pub const SNAPSHOT_INDEX_HEIGHTS: IntField = IntField {
    name: "snapshot_index_heights",
    default: 20,
    min: 0,
    max: 1000,
    unit: Unit::Heights,
    comment: "a snapshot also carries this many recent heights' blob index, so a node that state-syncs serves reads of them",
};

/// `min_retain_blocks`: the fewest recent blocks CometBFT must keep.
pub const MIN_RETAIN_BLOCKS: IntField = IntField {
    name: "min_retain_blocks",
    default: 0,
    min: 0,
    max: u32::MAX as u64,
    unit: Unit::Heights,
    comment: "CometBFT prunes blocks older than this many (never inside the evidence window or after the oldest snapshot); 0 keeps all",
};

/// `blob_retention_blocks`: how many recent heights of the blob index quired keeps.
pub const BLOB_RETENTION_BLOCKS: IntField = IntField {
    name: "blob_retention_blocks",
    default: 0,
    min: 0,
    max: u32::MAX as u64,
    unit: Unit::Heights,
    comment: "the read API's blob index keeps this many recent heights; 0 keeps all",
};

/// `api_request_timeout_secs`: per-request timeout of the read API.
pub const API_REQUEST_TIMEOUT_SECS: IntField = IntField {
    name: "api_request_timeout_secs",
    default: 30,
    min: 1,
    max: 600,
    unit: Unit::Seconds,
    comment: "read API per-request timeout in seconds",
};

/// `api_max_streams`: most concurrent streams of the read API.
pub const API_MAX_STREAMS: IntField = IntField {
    name: "api_max_streams",
    default: 256,
    min: 1,
    max: 10_000,
    unit: Unit::Streams,
    comment: "most concurrent read API streams",
};

/// `api_max_response_bytes`: most bytes one range or block response carries.
pub const API_MAX_RESPONSE_BYTES: IntField = IntField {
    name: "api_max_response_bytes",
    default: 64 * MIB,
    min: MIB,
    max: GIB,
    unit: Unit::Bytes,
    comment: "most bytes in one range or block response",
};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// A string key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextField {
    /// The key (and the [`NodeConfig`] field).
    pub name: &'static str,
    /// The value of a missing key.
    pub default: &'static str,
    /// What values are allowed.
    pub rule: TextRule,
    /// The comment `quired init` writes after the key.
    pub comment: &'static str,
}

/// What a [`TextField`] allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRule {
    /// `tcp://host:port` or `unix:///absolute/path` ([`validate_abci_addr`]).
    AbciAddr,
    /// A `tracing` EnvFilter directive.
    LogFilter,
    /// An `http://` or `https://` URL with a host ([`validate_http_url`]).
    HttpUrl,
    /// `ip:port`, or `""` for "disabled" ([`parse_listen_addr`]).
    ListenAddr,
    /// `text` or `json`.
    LogFormat,
}

impl TextRule {
    /// Why `value` is not allowed, if it is not.
    pub fn check(self, value: &str) -> Result<(), String> {
        match self {
            TextRule::AbciAddr => validate_abci_addr(value),
            TextRule::LogFilter => tracing_subscriber::EnvFilter::try_new(value)
                .map(|_| ())
                .map_err(|e| format!("{value:?} is not a valid filter directive: {e}")),
            TextRule::HttpUrl => validate_http_url(value),
            TextRule::ListenAddr => parse_listen_addr(value).map(|_| ()),
            TextRule::LogFormat => match value {
                "text" | "json" => Ok(()),
                _ => Err(format!("{value:?} is not a log format: text or json")),
            },
        }
    }
}

/// A path key: non-empty and valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathField {
    /// The key (and the [`NodeConfig`] field).
    pub name: &'static str,
    /// The value of a missing key.
    pub default: &'static str,
    /// The comment `quired init` writes after the key.
    pub comment: &'static str,
}

impl PathField {
    /// Why `path` is not allowed, if it is not.
    pub fn check(&self, path: &Path) -> Result<(), String> {
        if path.as_os_str().is_empty() {
            return Err("must not be empty".to_string());
        }
        if path.to_str().is_none() {
            return Err("must be valid UTF-8".to_string());
        }
        Ok(())
    }
}

/// An integer key with inclusive bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntField {
    /// The key (and the [`NodeConfig`] field).
    pub name: &'static str,
    /// The value of a missing key.
    pub default: u64,
    /// Smallest allowed value.
    pub min: u64,
    /// Largest allowed value.
    pub max: u64,
    /// What the value counts, for messages.
    pub unit: Unit,
    /// The comment `quired init` writes after the key, before the bounds.
    pub comment: &'static str,
}

impl IntField {
    /// Why `value` is not allowed, if it is not.
    pub fn check(&self, value: u64) -> Result<(), String> {
        if (self.min..=self.max).contains(&value) {
            return Ok(());
        }
        let unit = match self.unit {
            Unit::Bytes => format!("bytes ({})", self.bounds()),
            unit => unit.word().to_string(),
        };
        Err(format!(
            "{value} is out of range: expected {} to {} {unit}",
            self.min, self.max
        ))
    }

    /// The bounds as people read them: `1 to 1000`, `1 MiB to 1 GiB`.
    pub fn bounds(&self) -> String {
        match self.unit {
            Unit::Bytes => format!("{} to {}", human_bytes(self.min), human_bytes(self.max)),
            _ => format!("{} to {}", self.min, self.max),
        }
    }

    /// The default as a `usize` (the bounds keep every value far below `usize::MAX`).
    fn default_usize(&self) -> usize {
        usize::try_from(self.default).unwrap_or(usize::MAX)
    }
}

/// What an [`IntField`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Block heights.
    Heights,
    /// Seconds.
    Seconds,
    /// Concurrent streams.
    Streams,
    /// Bytes.
    Bytes,
    /// Snapshots.
    Snapshots,
}

impl Unit {
    fn word(self) -> &'static str {
        match self {
            Unit::Heights => "heights",
            Unit::Seconds => "seconds",
            Unit::Streams => "streams",
            Unit::Bytes => "bytes",
            Unit::Snapshots => "snapshots",
        }
    }
}

/// `1048576` as `1 MiB`, `1073741824` as `1 GiB`; other sizes in bytes.
fn human_bytes(n: u64) -> String {
    for (size, name) in [(GIB, "GiB"), (MIB, "MiB")] {
        let (whole, rest) = (n / size, n % size);
        if whole > 0 && rest == 0 {
            return format!("{whole} {name}");
        }
    }
    format!("{n} bytes")
}

/// One key of a [`NodeConfig`]: its descriptor and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry<'a> {
    /// A string key.
    Text(&'static TextField, &'a str),
    /// A path key.
    Path(&'static PathField, &'a Path),
    /// An integer key.
    Int(&'static IntField, u64),
}

impl Entry<'_> {
    /// The key.
    pub fn name(&self) -> &'static str {
        match self {
            Entry::Text(field, _) => field.name,
            Entry::Path(field, _) => field.name,
            Entry::Int(field, _) => field.name,
        }
    }

    /// The comment `quired init` writes after the key.
    pub fn comment(&self) -> Cow<'static, str> {
        match self {
            Entry::Text(field, _) => Cow::Borrowed(field.comment),
            Entry::Path(field, _) => Cow::Borrowed(field.comment),
            Entry::Int(field, _) => Cow::Owned(format!("{} ({})", field.comment, field.bounds())),
        }
    }

    /// The key's default as a TOML value, e.g. `"info"` or `100`.
    pub fn default_toml(&self) -> String {
        match self {
            Entry::Text(field, _) => toml_string(field.default),
            Entry::Path(field, _) => toml_string(field.default),
            Entry::Int(field, _) => field.default.to_string(),
        }
    }

    /// The value as a TOML value; a path must be valid UTF-8.
    pub fn value_toml(&self) -> Result<String, ConfigError> {
        match self {
            Entry::Text(_, value) => Ok(toml_string(value)),
            Entry::Path(_, path) => path
                .to_str()
                .map(toml_string)
                .ok_or_else(|| self.error("must be valid UTF-8".to_string())),
            Entry::Int(_, value) => Ok(value.to_string()),
        }
    }

    /// Checks the value against the descriptor; the error names the key.
    pub fn check(&self) -> Result<(), ConfigError> {
        match self {
            Entry::Text(field, value) => field.rule.check(value),
            Entry::Path(field, path) => field.check(path),
            Entry::Int(field, value) => field.check(*value),
        }
        .map_err(|reason| self.error(reason))
    }

    fn error(&self, reason: String) -> ConfigError {
        ConfigError::Field {
            field: self.name(),
            reason,
        }
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Why a config could not be loaded, checked or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A key's value is not allowed.
    #[error("field {field}: {reason}")]
    Field {
        /// The key.
        field: &'static str,
        /// Why not.
        reason: String,
    },
    /// The home directory does not exist.
    #[error(
        "home directory {} does not exist: run `quired init --home {}` first",
        .home.display(),
        .home.display()
    )]
    MissingHome {
        /// The home directory.
        home: PathBuf,
    },
    /// The home has no config file.
    #[error(
        "config file {} does not exist: run `quired init --home {}` first",
        .path.display(),
        .home.display()
    )]
    MissingFile {
        /// The config file.
        path: PathBuf,
        /// Its home directory.
        home: PathBuf,
    },
    /// The file could not be read.
    #[error("cannot read config file {}", .path.display())]
    Read {
        /// The config file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is larger than quired reads.
    #[error("config file {} is larger than {} bytes", .path.display(), MAX_CONFIG_BYTES)]
    TooLarge {
        /// The config file.
        path: PathBuf,
    },
    /// The file is not TOML of the config's shape (syntax, type, unknown key).
    #[error("config file {}: {message}", .path.display())]
    Parse {
        /// The config file.
        path: PathBuf,
        /// The TOML parser's message (it names the line and the key).
        message: String,
    },
    /// The file parsed but a value is not allowed.
    #[error("config file {}: field {field}: {reason}", .path.display())]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// The key.
        field: &'static str,
        /// Why not.
        reason: String,
    },
}

impl ConfigError {
    /// The key the error is about, if it is about one value.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            ConfigError::Field { field, .. } | ConfigError::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    /// The error as found in the config file at `path`.
    fn in_file(self, path: &Path) -> ConfigError {
        match self {
            ConfigError::Field { field, reason } => ConfigError::Invalid {
                path: path.to_path_buf(),
                field,
                reason,
            },
            other => other,
        }
    }
}

/// `<home>/config/quired.toml`. Every key is described by its descriptor
/// constant (e.g. [`ABCI_ADDR`]), which holds its default and rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NodeConfig {
    /// Where quired listens for CometBFT: `tcp://host:port` or `unix:///path`.
    pub abci_addr: String,
    /// The database file; relative paths are relative to the home directory.
    pub db_path: PathBuf,
    /// `tracing` EnvFilter directive (`RUST_LOG` overrides it).
    pub log_filter: String,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Listen address (`ip:port`) of the Prometheus metrics; empty disables
    /// them.
    pub metrics_addr: String,
    /// This node's CometBFT RPC (`http://` or `https://` URL): the read API
    /// fetches signed headers, commits and validator sets from it.
    pub cometbft_rpc: String,
    /// Listen address (`ip:port`) of the gRPC read API; empty disables it.
    pub grpc_addr: String,
    /// Listen address (`ip:port`) of the HTTP/JSON read API; empty disables it.
    pub http_addr: String,
    /// Most heights one range request returns.
    pub api_max_range: u64,
    /// Per-request timeout of the read API, in seconds.
    pub api_request_timeout_secs: u64,
    /// Most concurrent streams of the read API.
    pub api_max_streams: usize,
    /// Most bytes one range or block response carries.
    pub api_max_response_bytes: u64,
    /// A state-sync snapshot every this many heights; 0 takes none.
    pub snapshot_interval: u64,
    /// How many of the newest snapshots are kept.
    pub snapshot_keep_recent: u64,
    /// How many recent heights' blob index a snapshot carries.
    pub snapshot_index_heights: u64,
    /// The fewest recent blocks CometBFT keeps (0: all).
    pub min_retain_blocks: u64,
    /// How many recent heights of the blob index are kept (0: all).
    pub blob_retention_blocks: u64,
}

impl Default for NodeConfig {
    /// Every key at its descriptor's default.
    fn default() -> Self {
        NodeConfig {
            abci_addr: ABCI_ADDR.default.to_string(),
            db_path: PathBuf::from(DB_PATH.default),
            log_filter: LOG_FILTER.default.to_string(),
            log_format: LOG_FORMAT.default.to_string(),
            metrics_addr: METRICS_ADDR.default.to_string(),
            cometbft_rpc: COMETBFT_RPC.default.to_string(),
            grpc_addr: GRPC_ADDR.default.to_string(),
            http_addr: HTTP_ADDR.default.to_string(),
            api_max_range: API_MAX_RANGE.default,
            api_request_timeout_secs: API_REQUEST_TIMEOUT_SECS.default,
            api_max_streams: API_MAX_STREAMS.default_usize(),
            api_max_response_bytes: API_MAX_RESPONSE_BYTES.default,
            snapshot_interval: SNAPSHOT_INTERVAL.default,
            snapshot_keep_recent: SNAPSHOT_KEEP_RECENT.default,
            snapshot_index_heights: SNAPSHOT_INDEX_HEIGHTS.default,
            min_retain_blocks: MIN_RETAIN_BLOCKS.default,
            blob_retention_blocks: BLOB_RETENTION_BLOCKS.default,
        }
    }
}

impl NodeConfig {
    /// The config file of `home`.
    pub fn path(home: impl AsRef<Path>) -> PathBuf {
        home.as_ref().join(CONFIG_FILE)
    }

    /// Every key with its descriptor and value, in file order.
    pub fn entries(&self) -> [Entry<'_>; 17] {
        // Destructured so that a new field cannot be left out.
        let NodeConfig {
            abci_addr,
            db_path,
            log_filter,
            log_format,
            metrics_addr,
            cometbft_rpc,
            grpc_addr,
            http_addr,
            api_max_range,
            api_request_timeout_secs,
            api_max_streams,
            api_max_response_bytes,
            snapshot_interval,
            snapshot_keep_recent,
            snapshot_index_heights,
            min_retain_blocks,
            blob_retention_blocks,
        } = self;
        [
            Entry::Text(&ABCI_ADDR, abci_addr),
            Entry::Path(&DB_PATH, db_path),
            Entry::Text(&LOG_FILTER, log_filter),
            Entry::Text(&LOG_FORMAT, log_format),
            Entry::Text(&METRICS_ADDR, metrics_addr),
            Entry::Text(&COMETBFT_RPC, cometbft_rpc),
            Entry::Text(&GRPC_ADDR, grpc_addr),
            Entry::Text(&HTTP_ADDR, http_addr),
            Entry::Int(&API_MAX_RANGE, *api_max_range),
            Entry::Int(&API_REQUEST_TIMEOUT_SECS, *api_request_timeout_secs),
            Entry::Int(
                &API_MAX_STREAMS,
                u64::try_from(*api_max_streams).unwrap_or(u64::MAX),
            ),
            Entry::Int(&API_MAX_RESPONSE_BYTES, *api_max_response_bytes),
            Entry::Int(&SNAPSHOT_INTERVAL, *snapshot_interval),
            Entry::Int(&SNAPSHOT_KEEP_RECENT, *snapshot_keep_recent),
            Entry::Int(&SNAPSHOT_INDEX_HEIGHTS, *snapshot_index_heights),
            Entry::Int(&MIN_RETAIN_BLOCKS, *min_retain_blocks),
            Entry::Int(&BLOB_RETENTION_BLOCKS, *blob_retention_blocks),
        ]
    }

    /// Reads and checks `<home>/config/quired.toml`. Missing keys take their
    /// defaults; unknown keys are refused. Errors name the file and the field.
    pub fn load(home: impl AsRef<Path>) -> Result<NodeConfig, ConfigError> {
        let home = home.as_ref();
        if !home.is_dir() {
            return Err(ConfigError::MissingHome {
                home: home.to_path_buf(),
            });
        }
        let path = Self::path(home);
        if !path.exists() {
            return Err(ConfigError::MissingFile {
                path,
                home: home.to_path_buf(),
            });
        }
        let mut text = String::new();
        if let Err(source) = std::fs::File::open(&path)
            .and_then(|file| file.take(MAX_CONFIG_BYTES + 1).read_to_string(&mut text))
        {
            return Err(ConfigError::Read { path, source });
        }
        if text.len() as u64 > MAX_CONFIG_BYTES {
            return Err(ConfigError::TooLarge { path });
        }
        let config: NodeConfig = match toml::from_str(&text) {
            Ok(config) => config,
            Err(e) => {
                return Err(ConfigError::Parse {
                    message: e.to_string().trim_end().to_string(),
                    path,
                })
            }
        };
        config.validate().map_err(|e| e.in_file(&path))?;
        Ok(config)
    }

    /// Checks every field, naming the first bad one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for entry in self.entries() {
            entry.check()?;
        }
        self.check_api_ports()?;
        self.check_retention()
    }

    /// The read API's attestations come from CometBFT's blocks: a node that
    /// prunes blocks must keep no more heights of the blob index than blocks.
    fn check_retention(&self) -> Result<(), ConfigError> {
        let blocks = self.min_retain_blocks;
        let blobs = self.blob_retention_blocks;
        if blocks > 0 && (blobs == 0 || blobs > blocks) {
            return Err(ConfigError::Field {
                field: BLOB_RETENTION_BLOCKS.name,
                reason: format!(
                    "{blobs} keeps more heights than {} = {blocks} keeps blocks, and the read \
                     API cannot prove a height whose block is gone: set it to 1..={blocks}",
                    MIN_RETAIN_BLOCKS.name
                ),
            });
        }
        Ok(())
    }

    /// The two read APIs cannot share a port on overlapping addresses.
    fn check_api_ports(&self) -> Result<(), ConfigError> {
        let parse = |addr: &str| parse_listen_addr(addr).ok().flatten();
        if let (Some(grpc), Some(http)) = (parse(&self.grpc_addr), parse(&self.http_addr)) {
            if grpc.port() == http.port()
                && (grpc.ip() == http.ip()
                    || grpc.ip().is_unspecified()
                    || http.ip().is_unspecified())
            {
                return Err(ConfigError::Field {
                    field: HTTP_ADDR.name,
                    reason: format!(
                        "{:?} overlaps {} {:?}: the two APIs need different ports",
                        self.http_addr, GRPC_ADDR.name, self.grpc_addr
                    ),
                });
            }
        }
        Ok(())
    }

    /// The database path: `db_path` itself if absolute, else joined to `home`.
    pub fn resolve_db_path(&self, home: impl AsRef<Path>) -> PathBuf {
        if self.db_path.is_absolute() {
            self.db_path.clone()
        } else {
            home.as_ref().join(&self.db_path)
        }
    }

    /// The config file's text, with a comment on every key. `chain_id`, if
    /// given, is recorded in a comment (CometBFT's genesis file is what sets it).
    pub fn to_toml(&self, chain_id: Option<&str>) -> Result<String, ConfigError> {
        let mut text = String::from("# quired configuration\n");
        if let Some(chain_id) = chain_id {
            text.push_str(&format!(
                "# chain id: {chain_id} (informational: CometBFT's genesis.json sets it)\n"
            ));
        }
        for entry in self.entries() {
            let key_value = format!("{} = {}", entry.name(), entry.value_toml()?);
            text.push_str(&format!("{key_value:<35}   # {}\n", entry.comment()));
        }
        Ok(text)
    }
}

/// Accepts `tcp://host:port` (port 1-65535) and `unix:///absolute/path`.
pub fn validate_abci_addr(addr: &str) -> Result<(), String> {
    if let Some(path) = addr.strip_prefix("unix://") {
        if !path.starts_with('/') || path.len() < 2 {
            return Err(format!("{addr:?}: a unix socket address needs an absolute path, e.g. unix:///tmp/quired.sock"));
        }
        return Ok(());
    }
    let Some(host_port) = addr.strip_prefix("tcp://") else {
        return Err(format!("{addr:?} must start with tcp:// or unix://"));
    };
    let Some((host, port)) = host_port.rsplit_once(':') else {
        return Err(format!("{addr:?} has no port: expected tcp://host:port"));
    };
    if host.is_empty() {
        return Err(format!("{addr:?} has no host: expected tcp://host:port"));
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(()),
        _ => Err(format!(
            "{addr:?} has port {port:?}: expected a number from 1 to 65535"
        )),
    }
}

/// Accepts an `http://` or `https://` URL with a host, e.g. `http://127.0.0.1:26657`.
pub fn validate_http_url(url: &str) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} must start with http:// or https://"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "{url:?} must not contain spaces or control characters"
        ));
    }
    if let Err(e) = url.parse::<tendermint_rpc::client::HttpClientUrl>() {
        // The trace's alternate form is the message chain ("parse error: empty
        // host"), without the location and backtrace the error's Display adds.
        return Err(format!("{url:?} is not a valid URL: {:#}", e.trace()));
    }
    Ok(())
}

/// Parses a listen address: `ip:port` (port 1-65535, IPv6 as `[::1]:port`),
/// or the empty string, which means "disabled" (`None`).
pub fn parse_listen_addr(addr: &str) -> Result<Option<SocketAddr>, String> {
    if addr.is_empty() {
        return Ok(None);
    }
    let parsed: SocketAddr = addr.parse().map_err(|_| {
        format!(
            "{addr:?} is not an ip:port address (e.g. 127.0.0.1:9190 or [::1]:9190; \"\" disables)"
        )
    })?;
    if parsed.port() == 0 {
        return Err(format!(
            "{addr:?} has port 0: expected a port from 1 to 65535"
        ));
    }
    Ok(Some(parsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_explains_a_missing_home_and_file() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nowhere");
        let err = NodeConfig::load(&missing).unwrap_err().to_string();
        let expected = format!(
            "home directory {} does not exist: run `quired init --home {}` first",
            missing.display(),
            missing.display()
        );
        assert_eq!(err, expected);
        let err = NodeConfig::load(tmp.path()).unwrap_err().to_string();
        assert!(
            err.contains("config file") && err.contains("quired init"),
            "{err}"
        );
    }

    fn load_text(text: &str) -> Result<NodeConfig, ConfigError> {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("config")).unwrap();
        std::fs::write(tmp.path().join(CONFIG_FILE), text).unwrap();
        NodeConfig::load(tmp.path())
    }

    #[test]
    fn load_names_the_file_and_the_bad_field() {
        let cases = [
            ("abci_addr = \"localhost\"\n", "field abci_addr"),
            ("abci_addr = \"tcp://127.0.0.1:99999\"\n", "field abci_addr"),
            ("abci_addr = \"unix://relative.sock\"\n", "field abci_addr"),
            ("db_path = \"\"\n", "field db_path"),
            ("log_filter = \"info,[[[\"\n", "field log_filter"),
            ("abci_adr = \"tcp://127.0.0.1:1\"\n", "abci_adr"),
            ("abci_addr = 26658\n", "abci_addr"),
            ("abci_addr = \n", "line 1"),
            ("cometbft_rpc = \"127.0.0.1:26657\"\n", "field cometbft_rpc"),
            (
                "cometbft_rpc = \"ws://127.0.0.1:26657\"\n",
                "field cometbft_rpc",
            ),
            (
                "cometbft_rpc = \"http://127.0.0.1:99999\"\n",
                "field cometbft_rpc",
            ),
            (
                "cometbft_rpc = \"http://127.0.0.1:26657 \"\n",
                "field cometbft_rpc",
            ),
            ("grpc_addr = \"localhost:9190\"\n", "field grpc_addr"),
            ("metrics_addr = \"localhost:26661\"\n", "field metrics_addr"),
            ("log_format = \"yaml\"\n", "field log_format"),
            ("grpc_addr = \"127.0.0.1:65536\"\n", "field grpc_addr"),
            ("http_addr = \"http://127.0.0.1:8080\"\n", "field http_addr"),
            ("http_addr = \"127.0.0.1:9190\"\n", "field http_addr"),
            ("api_max_range = 0\n", "field api_max_range"),
            ("api_max_range = 1001\n", "field api_max_range"),
            ("api_max_range = -1\n", "api_max_range"),
            (
                "api_request_timeout_secs = 0\n",
                "field api_request_timeout_secs",
            ),
            (
                "api_request_timeout_secs = 601\n",
                "field api_request_timeout_secs",
            ),
            ("snapshot_keep_recent = 0\n", "field snapshot_keep_recent"),
            ("min_retain_blocks = 100\n", "field blob_retention_blocks"),
            (
                "min_retain_blocks = 100\nblob_retention_blocks = 101\n",
                "field blob_retention_blocks",
            ),
            ("api_max_streams = 0\n", "field api_max_streams"),
            ("api_max_streams = 10001\n", "field api_max_streams"),
            (
                "api_max_response_bytes = 1048575\n",
                "field api_max_response_bytes",
            ),
            (
                "api_max_response_bytes = 1073741825\n",
                "field api_max_response_bytes",
            ),
            (
                "api_max_response_bytes = \"64MiB\"\n",
                "api_max_response_bytes",
            ),
            ("api_max_rang = 10\n", "api_max_rang"),
        ];
        for (text, expected) in cases {
            let err = load_text(text).unwrap_err().to_string();
            assert!(
                err.contains("config/quired.toml") && err.contains(expected),
                "{text:?}: {err}"
            );
        }
    }

    #[test]
    fn value_errors_carry_the_field_name() {
        let err = load_text("api_max_streams = 0\n").unwrap_err();
        assert_eq!(err.field(), Some("api_max_streams"));
        let err = load_text("api_max_rang = 10\n").unwrap_err();
        assert_eq!(err.field(), None);
        let config = NodeConfig {
            log_filter: "info,[[[".to_string(),
            ..NodeConfig::default()
        };
        let err = config.validate().unwrap_err();
        assert_eq!(err.field(), Some("log_filter"));
        assert!(
            err.to_string()
                .starts_with("field log_filter: \"info,[[[\" is not a valid filter directive: "),
            "{err}"
        );
    }

    #[test]
    fn missing_keys_take_defaults_and_absolute_db_paths_stay() {
        let config = load_text("db_path = \"/var/lib/quired.redb\"\n").unwrap();
        assert_eq!(config.abci_addr, ABCI_ADDR.default);
        assert_eq!(
            config.resolve_db_path("/home/x"),
            PathBuf::from("/var/lib/quired.redb")
        );
    }

    #[test]
    fn a_file_written_before_the_read_api_keys_loads_with_their_defaults() {
        let old = "# quired configuration\n\
                   # chain id: quire-1 (informational: CometBFT's genesis.json sets it)\n\
                   abci_addr = \"tcp://127.0.0.1:26612\"   # where quired listens for CometBFT (tcp://host:port or unix:///path)\n\
                   db_path = \"data/quired.redb\"          # relative to home\n\
                   log_filter = \"info\"                  # tracing EnvFilter directive\n";
        let config = load_text(old).unwrap();
        assert_eq!(
            config,
            NodeConfig {
                abci_addr: "tcp://127.0.0.1:26612".to_string(),
                ..NodeConfig::default()
            }
        );
        assert_eq!(config.cometbft_rpc, COMETBFT_RPC.default);
        assert_eq!(config.grpc_addr, GRPC_ADDR.default);
        assert_eq!(config.http_addr, HTTP_ADDR.default);
        assert_eq!(config.api_max_range, API_MAX_RANGE.default);
        assert_eq!(
            config.api_request_timeout_secs,
            API_REQUEST_TIMEOUT_SECS.default
        );
        assert_eq!(config.api_max_streams as u64, API_MAX_STREAMS.default);
        assert_eq!(
            config.api_max_response_bytes,
            API_MAX_RESPONSE_BYTES.default
        );
    }

    #[test]
    fn read_api_defaults_and_bounds() {
        let config = NodeConfig::default();
        assert_eq!(config.cometbft_rpc, "http://127.0.0.1:26657");
        assert_eq!(config.grpc_addr, "127.0.0.1:9190");
        assert_eq!(config.http_addr, "127.0.0.1:8080");
        assert_eq!(config.api_max_range, 100);
        assert_eq!(config.api_request_timeout_secs, 30);
        assert_eq!(config.api_max_streams, 256);
        assert_eq!(config.api_max_response_bytes, 67_108_864);
        config.validate().unwrap();
        let edges = "cometbft_rpc = \"https://rpc.example.org:443/cometbft\"\n\
                     grpc_addr = \"[::1]:1\"\n\
                     http_addr = \"\"\n\
                     api_max_range = 1000\n\
                     api_request_timeout_secs = 600\n\
                     api_max_streams = 10000\n\
                     api_max_response_bytes = 1073741824\n";
        let config = load_text(edges).unwrap();
        assert_eq!(config.http_addr, "");
        assert_eq!(config.api_max_response_bytes, 1 << 30);
        let low = "api_max_range = 1\napi_request_timeout_secs = 1\n\
                   api_max_streams = 1\napi_max_response_bytes = 1048576\n";
        assert_eq!(load_text(low).unwrap().api_max_response_bytes, 1 << 20);
        let err = load_text("api_max_range = 0\n").unwrap_err().to_string();
        assert!(
            err.ends_with("field api_max_range: 0 is out of range: expected 1 to 1000 heights"),
            "{err}"
        );
        let err = load_text("api_max_response_bytes = 1048575\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with(
                "field api_max_response_bytes: 1048575 is out of range: \
                 expected 1048576 to 1073741824 bytes (1 MiB to 1 GiB)"
            ),
            "{err}"
        );
        let err = load_text("grpc_addr = \"localhost:9190\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("field grpc_addr: \"localhost:9190\" is not an ip:port address"),
            "{err}"
        );
    }

    /// `entries` and the serde fields are the same keys in the same order, and
    /// the default config holds every descriptor's default.
    #[test]
    fn entries_are_the_serde_fields_with_the_descriptor_defaults() {
        let config = NodeConfig::default();
        let serialized = toml::to_string(&config).unwrap();
        let keys: Vec<&str> = serialized
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(key, _)| key))
            .collect();
        let names: Vec<&str> = config.entries().iter().map(Entry::name).collect();
        assert_eq!(keys, names);
        for entry in config.entries() {
            assert_eq!(
                entry.value_toml().unwrap(),
                entry.default_toml(),
                "{}",
                entry.name()
            );
            entry.check().unwrap();
        }
    }

    /// Every key written by `to_toml` reads back as the same value, also when
    /// none is at its default (so `entries` pairs each descriptor with its field).
    #[test]
    fn to_toml_round_trips_every_field() {
        let config = NodeConfig {
            abci_addr: "unix:///tmp/q.sock".to_string(),
            db_path: PathBuf::from("/var/lib/q.redb"),
            log_filter: "debug".to_string(),
            log_format: "json".to_string(),
            metrics_addr: "127.0.0.1:3".to_string(),
            cometbft_rpc: "https://rpc.example.org/cometbft".to_string(),
            grpc_addr: "[::1]:1".to_string(),
            http_addr: "0.0.0.0:2".to_string(),
            api_max_range: 7,
            api_request_timeout_secs: 8,
            api_max_streams: 9,
            api_max_response_bytes: 2 * 1024 * 1024,
            snapshot_interval: 1000,
            snapshot_keep_recent: 3,
            snapshot_index_heights: 10,
            min_retain_blocks: 500_000,
            blob_retention_blocks: 100_000,
        };
        config.validate().unwrap();
        for (entry, default) in config.entries().iter().zip(NodeConfig::default().entries()) {
            assert_ne!(entry, &default, "{} is at its default", entry.name());
        }
        let text = config.to_toml(Some("quire-9")).unwrap();
        assert_eq!(toml::from_str::<NodeConfig>(&text).unwrap(), config);
        assert_eq!(text.lines().count(), 2 + config.entries().len());
    }

    #[cfg(unix)]
    #[test]
    fn a_non_utf8_db_path_is_refused() {
        use std::os::unix::ffi::OsStrExt;
        let config = NodeConfig {
            db_path: PathBuf::from(std::ffi::OsStr::from_bytes(b"data/\xff.redb")),
            ..NodeConfig::default()
        };
        let expected = "field db_path: must be valid UTF-8";
        assert_eq!(config.validate().unwrap_err().to_string(), expected);
        assert_eq!(config.to_toml(None).unwrap_err().to_string(), expected);
    }

    /// The `## Keys` table and the example file of docs/configuration.md.
    struct Doc {
        /// (key, default, allowed) of each table row, in order.
        rows: Vec<(String, String, String)>,
        /// The example file block.
        example: String,
    }

    fn read_doc() -> Doc {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let section = |heading: &str| -> Vec<&str> {
            text.lines()
                .skip_while(|line| *line != heading)
                .skip(1)
                .take_while(|line| !line.starts_with("## "))
                .collect()
        };
        let backticked =
            |cell: &str| -> String { cell.split('`').nth(1).unwrap_or_default().to_string() };
        let rows = section("## Keys")
            .into_iter()
            .filter(|line| line.starts_with("| `"))
            .map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                (
                    backticked(cells[1]),
                    backticked(cells[2]),
                    cells[3].to_string(),
                )
            })
            .collect();
        let example: Vec<&str> = section("## The file `quired init` writes")
            .into_iter()
            .skip_while(|line| *line != "```toml")
            .skip(1)
            .take_while(|line| *line != "```")
            .collect();
        Doc {
            rows,
            example: example.iter().map(|line| format!("{line}\n")).collect(),
        }
    }

    /// docs/configuration.md lists exactly the keys, defaults and bounds of the
    /// descriptors, and its example file is what `quired init --chain-id
    /// quire-1` writes (without `--chain-id`, the same minus the chain id line).
    #[test]
    fn the_configuration_doc_is_up_to_date() {
        let doc = read_doc();
        let config = NodeConfig::default();
        let entries = config.entries();
        let doc_keys: Vec<&str> = doc.rows.iter().map(|row| row.0.as_str()).collect();
        let keys: Vec<&str> = entries.iter().map(Entry::name).collect();
        assert_eq!(doc_keys, keys, "docs/configuration.md: the table's keys");
        for (entry, (key, default, allowed)) in entries.iter().zip(&doc.rows) {
            assert_eq!(
                default,
                &entry.default_toml(),
                "docs/configuration.md: the default of {key}"
            );
            if let Entry::Int(field, _) = entry {
                // "1048576 (1 MiB) to 1073741824 (1 GiB)" reads "1048576 to 1073741824".
                let mut bounds = String::new();
                let mut depth = 0;
                for c in allowed.chars() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        c if depth == 0 => bounds.push(c),
                        _ => {}
                    }
                }
                let bounds = bounds.split_whitespace().collect::<Vec<_>>().join(" ");
                assert_eq!(
                    bounds,
                    format!("{} to {}", field.min, field.max),
                    "docs/configuration.md: the bounds of {key}"
                );
            }
        }
        let written = config.to_toml(Some("quire-1")).unwrap();
        assert_eq!(
            doc.example, written,
            "docs/configuration.md: the example file is not what `quired init` writes"
        );
        let without_chain_id: String = written
            .lines()
            .filter(|line| !line.starts_with("# chain id: "))
            .map(|line| format!("{line}\n"))
            .collect();
        assert_eq!(config.to_toml(None).unwrap(), without_chain_id);
    }
}
