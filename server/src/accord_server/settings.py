"""Runtime configuration: every field is read from an ``ACCORD_*`` environment variable."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Accord's settings; build one explicitly in tests instead of patching the environment."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    data_dir: Path = Field(
        Path("./accord-data"),
        description="Folder for the embedded SQLite database, the job queue and local media.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database; default: SQLite file in data_dir. "
        "Example: postgresql+psycopg://accord@127.0.0.1:5432/accord",
    )
    redis_url: str | None = Field(
        None,
        description="When set, background jobs go through Redis (RedisHuey) instead of "
        "the SQLite queue; run `accord-server worker` processes next to the API.",
    )
    queue_name: str = Field(
        "accord",
        description="Name of the job queue; deployments that share one Redis need distinct names.",
    )
    storage_url: str | None = Field(
        None,
        description="Where media is stored: default a folder in data_dir; "
        "`s3://bucket/prefix` for S3 or any S3-compatible store.",
    )
    s3_endpoint_url: str | None = Field(None, description="Endpoint of an S3-compatible store.")
    s3_region: str | None = Field(None, description="Region for S3.")
    import_roots: list[Path] = Field(
        default_factory=list,
        description="Server folders an admin of the server may grant to organizations as "
        "import sources (a folder outside these is refused); none: no folder sources.",
    )
    open_organizations: bool = Field(
        False,
        description="Let any signed-in user create organizations (and so own one); off: only "
        "admins of the server may (`accord-server user admin EMAIL`).",
    )
    secret_key: str | None = Field(
        None,
        description="The key webhook secrets are encrypted with in the database (a Fernet key "
        "is derived from it); any long random string, the same in every API and worker "
        "process, kept out of the database's backups. Required on PostgreSQL; with the "
        "embedded SQLite default one is generated on first use and kept in "
        "`data_dir/secret_key`. Changing it makes the stored webhook secrets unreadable "
        "(rotate each webhook's secret then). Login sessions and API tokens do not use it: "
        "they are random values stored hashed.",
    )
    session_days: int = Field(14, description="Lifetime of a login session, in days.")
    cookie_secure: bool = Field(False, description="Mark cookies Secure (set this behind HTTPS).")
    max_upload_bytes: int = Field(
        512 * 1024 * 1024,
        ge=1,
        description="Largest upload, in bytes: the files of one upload request together (its "
        "body may be 8 MiB larger, for part headers and form fields). A larger declared body is "
        "refused at once, a chunked one as soon as it passes the limit.",
    )
    max_archive_files: int = Field(
        100_000,
        ge=1,
        description="Most files an import of existing labels may unpack (its ZIP archives' "
        "entries and its other files together); the bytes they unpack to are bounded by "
        "`max_upload_bytes`. An archive past either is refused, naming the entry.",
    )
    max_json_bytes: int = Field(
        16 * 1024 * 1024,
        ge=1024,
        description="Largest request body that is not a file upload (JSON), in bytes; large "
        "imports go as files.",
    )
    max_regions: int = Field(
        20_000,
        ge=1,
        description="Most regions one annotation may hold (submit and update): a result with "
        "more is refused with 422 before it is validated. The image workspace is built for "
        "10,000 boxes on one image; checking 20,000 regions takes a few hundred milliseconds.",
    )
    max_image_pixels: int = Field(
        178_956_970,
        description="Images with more pixels are refused as possible decompression bombs.",
    )
    max_decode_pixels: int = Field(
        50_000_000,
        ge=1,
        description="Most pixels an image is decoded at in memory (about 4 bytes each) when it "
        "is checked at import or a thumbnail is made: a larger JPEG is decoded at a reduced "
        "scale, a larger PNG's data is checked without decoding it whole and gets no "
        "thumbnail, a larger image of another format is refused.",
    )
    import_batch_size: int = Field(
        20_000, description="Tasks written per database round trip during an import."
    )
    import_probe_urls: bool = Field(
        False,
        description="Imports read the size of each image given by an http(s) URL from the "
        "first bytes of it (`import_probe_bytes`, `import_probe_timeout` seconds each, 8 at a "
        "time, at most `import_probe_max` URLs an import), so shapes on those tasks are "
        "bounds-checked from the start. Off, the size is recorded when the workspace first "
        "loads the image. The worker then fetches URLs the importers chose: turn it on only "
        "where it cannot reach services it should not (server-side request forgery).",
    )
    import_probe_bytes: int = Field(
        1024 * 1024, ge=1024, description="Bytes read at most from the start of an image URL."
    )
    import_probe_timeout: float = Field(
        5.0, gt=0, description="Seconds an import waits at most for one image URL."
    )
    import_probe_max: int = Field(
        10_000, ge=0, description="Image URLs an import reads the size of, at most."
    )
    login_free_failures: int = Field(
        5,
        ge=1,
        description="Wrong passwords in a row an account may get (logins and password changes, "
        "from any address) before each further attempt on it must wait: "
        "login_delay_seconds, doubling with every failure up to login_max_delay_seconds. The "
        "account is never locked: the right password gets in once that wait is over, and "
        "resets the count.",
    )
    login_address_free_failures: int = Field(
        30,
        ge=1,
        description="Wrong passwords from one client address (an IPv6 /64), for any accounts, "
        "before each further attempt from it must wait the same way (password spraying).",
    )
    login_delay_seconds: float = Field(
        1.0,
        gt=0,
        description="The first wait once an account or address has used its free failures; "
        "it doubles with each further failure.",
    )
    login_max_delay_seconds: float = Field(
        300.0,
        gt=0,
        description="The longest wait between two password checks of one account or address. "
        "Failures are forgotten after an hour without any (or twice this wait, if longer).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="JSON list of the addresses or networks (CIDR) of the reverse proxies in "
        'front of `serve`, e.g. `["10.0.0.5"]`: only from them are X-Forwarded-For (the '
        "client's address, used by login limiting) and X-Forwarded-Proto believed. Default "
        'none: the client is the TCP peer. `["*"]` trusts every peer and takes the left-most '
        "address (only behind a proxy that replaces the header and is the only way in).",
    )
    auth_cache_seconds: float = Field(
        5.0,
        ge=0,
        description="How long an API process may trust a token or login it has just checked "
        "without looking it up again (0: look up on every request). A revoked token or ended "
        "login stops working at once in the process that ended it, and within this time in "
        "the others.",
    )
    hot_path_threads: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        description="On PostgreSQL, how many of the annotators' hot-path requests (next, "
        "submit, skip, draft, me) an API process runs at once, in threads of their own; the "
        "rest wait their turn. More overlap waits on the database; too many fight over the "
        "GIL and the same rows (default: twice the CPU count).",
    )
    embedded_worker: bool = Field(
        True,
        description="`serve` starts a job worker as a child process (the embedded default). "
        "Turn off when separate `accord-server worker` processes run.",
    )
    worker_heartbeat_seconds: float = Field(
        5.0,
        gt=0,
        description="How often each worker process records that it is alive (and that the "
        "jobs it runs are) and looks for jobs whose worker died.",
    )
    worker_lapse_seconds: float = Field(
        60.0,
        gt=0,
        description="A worker silent this long is taken for dead: the jobs it was running are "
        "taken over (run again, or ended when cancelled or out of attempts), a cancel ends them "
        "at once, and the API's readiness (`/api/v1/health/ready`) answers 503 while no worker "
        "is alive. Keep it well above the heartbeat; on SQLite above the longest import's "
        "writing too (the heartbeat waits for the writer lock).",
    )
    worker_restart_seconds: float = Field(
        1.0,
        ge=0,
        description="`serve` restarts its embedded worker this long after it died, twice as "
        "long after each death that follows quickly, up to `worker_restart_max_seconds`.",
    )
    worker_restart_max_seconds: float = Field(
        60.0,
        ge=0,
        description="Longest wait before `serve` restarts its embedded worker; a worker that "
        "ran this long starts from `worker_restart_seconds` again.",
    )
    event_delivery_seconds: float = Field(
        1.0,
        description="How often each worker process delivers new events to their subscribers "
        "(project statistics, webhook deliveries to write); 0 turns its delivery loop off.",
        ge=0,
    )
    webhook_allow_private: bool = Field(
        False,
        description="Let webhooks call private, loopback, link-local and other non-public "
        "addresses (checked when a webhook is saved and again at every delivery, after the "
        "host name is resolved). Off, a webhook cannot be aimed at services inside the "
        "server's network (server-side request forgery); turn it on only where every "
        "organization admin may reach those.",
    )
    webhook_send_seconds: float = Field(
        1.0,
        ge=0,
        description="How often each worker process sends the webhook deliveries that are due; "
        "0 turns its sending loop off.",
    )
    webhook_timeout_seconds: float = Field(
        10.0,
        gt=0,
        description="Seconds a webhook receiver has to answer one delivery (connecting "
        "included) before the attempt counts as failed.",
    )
    webhook_max_attempts: int = Field(
        8,
        ge=1,
        description="Attempts of one webhook delivery before it is given up (`dead`); the "
        "waits between them double from `webhook_first_backoff_seconds` up to "
        "`webhook_max_backoff_seconds`.",
    )
    webhook_first_backoff_seconds: float = Field(
        10.0, gt=0, description="Wait after a webhook delivery's first failed attempt."
    )
    webhook_max_backoff_seconds: float = Field(
        3600.0,
        gt=0,
        description="Longest wait between two attempts of one webhook delivery.",
    )
    media_gc_grace_hours: float = Field(
        24.0,
        ge=1,
        description="Media collection deletes a stored file that no task (and no unfinished "
        "job) names only once nothing has written it for this long: an import in flight has "
        "stored blobs that no task names yet, and an upload is stored before its job is "
        "recorded. Also how old leftovers of interrupted writes must be to be removed.",
    )
    media_gc_interval_hours: float = Field(
        24.0,
        ge=0,
        description="How often the workers collect media (a `media_gc` job, one at a time "
        "across workers); 0: never (run `accord-server media gc` yourself).",
    )
    web_dir: Path | None = Field(
        None, description="Built web app to serve at `/` (default: web/dist when present)."
    )

    @model_validator(mode="after")
    def _lapse_above_heartbeat(self) -> Settings:
        if self.worker_lapse_seconds <= self.worker_heartbeat_seconds:
            raise ValueError(
                f"worker_lapse_seconds ({self.worker_lapse_seconds}) must be longer than "
                f"worker_heartbeat_seconds ({self.worker_heartbeat_seconds}): a live worker "
                "would be taken for dead"
            )
        return self

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: list[str]) -> list[str]:
        # uvicorn takes anything it cannot parse as a literal host name and never matches it:
        # a typo would silently trust nobody, or (worse, once fixed by guesswork) everybody.
        for entry in value:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError:
                    raise ValueError(
                        f"trusted_proxies: {entry!r} is not an IP address or network (CIDR)"
                    ) from None
        if "*" in value and len(value) > 1:
            raise ValueError('trusted_proxies: "*" trusts every peer; give it alone')
        return value

    @property
    def upload_tmp_dir(self) -> Path:
        """Where the files of an upload wait until it is accepted: a folder per request, removed
        when the request ends (media collection removes what a killed process left)."""
        return self.data_dir / "tmp"

    @property
    def resolved_database_url(self) -> str:
        """The database URL in force: explicit, or the SQLite file in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        """True when the database in force is SQLite."""
        return self.resolved_database_url.startswith("sqlite")
