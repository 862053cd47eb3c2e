"""The demo: an organization, an admin, an image project with images drawn at run time, and a
small text project — imported through the same job pipeline as any user's data."""

from __future__ import annotations

import io
import random
import secrets
from dataclasses import dataclass

import orjson
from PIL import Image, ImageDraw
from sqlalchemy import select

from accord_server.app import make_runtime
from accord_server.db.migrate import upgrade
from accord_server.db.models import Membership, Organization, Project
from accord_server.jobs.runner import run_job
from accord_server.schemas.enums import JobKind
from accord_server.services import accounts, jobs, projects, sessions
from accord_server.settings import Settings

DEMO_EMAIL = "admin@accord.demo"
DEMO_ORG = "Accord Demo"

IMAGE_SCHEMA = """\
media: image
tools:
  - name: objects
    type: bbox
    labels: [circle, square, triangle]
  - name: outlines
    type: polygon
    labels: [circle, square, triangle]
  - name: scene
    type: classification
    choices: [sparse, busy]
    required: false
"""

TEXT_SCHEMA = """\
media: text
tools:
  - name: entities
    type: span
    labels: [PERSON, ORG, PLACE]
  - name: sentiment
    type: classification
    choices: [positive, neutral, negative]
"""

SENTENCES = [
    "Ada Lovelace wrote the first program for Charles Babbage's Analytical Engine in London.",
    "The Accord team met in Lisbon to plan the next release with their partners at Acme Corp.",
    "Grace Hopper worked at Remington Rand on the first compiler.",
    "Marie Curie received two Nobel Prizes while working at the University of Paris.",
    "The weather in Oslo was grim, but the Norwegian Meteorological Institute expected sun.",
    "Alan Turing joined the National Physical Laboratory after the war.",
    "Katherine Johnson calculated trajectories for NASA at Langley.",
    "Tim Berners-Lee proposed the World Wide Web while at CERN in Geneva.",
]


@dataclass(frozen=True)
class DemoInfo:
    """How to log in to the demo."""

    email: str
    password: str
    token: str
    projects: list[str]


def draw_demo_image(seed: int, width: int = 800, height: int = 600) -> bytes:
    """A PNG of random coloured shapes (deterministic for a seed)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (width, height), (rng.randint(200, 255),) * 3)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 12)):
        x, y = rng.randint(0, width - 120), rng.randint(0, height - 120)
        size = rng.randint(30, 120)
        color = tuple(rng.randint(0, 180) for _ in range(3))
        shape = rng.choice(["circle", "square", "triangle"])
        if shape == "circle":
            draw.ellipse((x, y, x + size, y + size), fill=color)
        elif shape == "square":
            draw.rectangle((x, y, x + size, y + size), fill=color)
        else:
            draw.polygon([(x + size / 2, y), (x, y + size), (x + size, y + size)], fill=color)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def create_demo(settings: Settings, *, images: int = 24) -> DemoInfo:
    """Create the demo data once; later runs reset the password and add a fresh token."""
    runtime, _ = make_runtime(settings)
    upgrade(runtime.db.write_engine)
    password = secrets.token_urlsafe(9)
    job_ids: list[int] = []
    with runtime.db.transaction() as session:
        user = accounts.get_user_by_email(session, DEMO_EMAIL)
        if user is None:
            user = accounts.create_user(
                session, email=DEMO_EMAIL, password=password, name="Demo Admin"
            )
        else:
            accounts.set_password(session, user=user, password=password)
        # The demo is the laptop default: its login is the admin of this server (creates
        # organizations, grants import sources). Never run `demo` on a shared server.
        user.is_server_admin = True
        org = session.scalar(
            select(Organization)
            .join(Membership, Membership.organization_id == Organization.id)
            .where(Membership.user_id == user.id, Organization.name == DEMO_ORG)
        )
        if org is None:
            org = accounts.create_organization(session, name=DEMO_ORG, owner=user)
        membership = accounts.get_membership_or_raise(session, organization_id=org.id, user=user)
        _, token = sessions.create_api_token(session, user=user, name="demo")
        names = set(session.scalars(select(Project.name).where(Project.organization_id == org.id)))
        if "Shapes (images)" not in names:
            project = projects.create_project(
                session,
                membership=membership,
                user=user,
                name="Shapes (images)",
                label_schema=IMAGE_SCHEMA,
                overlap=1,
                instructions="Draw a box around every shape and label it.",
            )
            files = []
            for i in range(images):
                data = draw_demo_image(i)
                key = runtime.storage.put_bytes(data, content_type="image/png")
                files.append({"name": f"shapes/shape-{i:03d}.png", "key": key, "size": len(data)})
            job = jobs.create_job(
                session,
                organization_id=org.id,
                kind=JobKind.IMPORT,
                params={"files": files, "total_files": len(files)},
                user=user,
                project_id=project.id,
            )
            job_ids.append(job.id)
        if "News (text)" not in names:
            project = projects.create_project(
                session,
                membership=membership,
                user=user,
                name="News (text)",
                label_schema=TEXT_SCHEMA,
                overlap=2,
                instructions="Mark people, organizations and places; pick the sentiment.",
            )
            blob = b"\n".join(orjson.dumps({"text": s}) for s in SENTENCES)
            key = runtime.storage.put_bytes(blob)
            job = jobs.create_job(
                session,
                organization_id=org.id,
                kind=JobKind.IMPORT,
                params={
                    "files": [{"name": "news.jsonl", "key": key, "size": len(blob)}],
                    "total_files": 1,
                },
                user=user,
                project_id=project.id,
            )
            job_ids.append(job.id)
        project_names = sorted(names | {"Shapes (images)", "News (text)"})
    for job_id in job_ids:
        run_job(runtime, job_id)
    runtime.close()
    return DemoInfo(email=DEMO_EMAIL, password=password, token=token, projects=project_names)
