"""Project statistics for the dashboard: label distribution, throughput, annotators."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord_server.db.models import Annotation, Project, User


def project_stats(session: Session, *, project: Project, days: int = 30) -> dict[str, Any]:
    """Label counts over live annotations, annotations per day, per-annotator counts."""
    labels: Counter[tuple[str, str]] = Counter()
    per_day: Counter[date] = Counter()
    rows = session.execute(
        select(Annotation.result, Annotation.created_at)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .execution_options(yield_per=2000)
    )
    for result, created_at in rows:
        per_day[created_at.date()] += 1
        for region in result or []:
            if not isinstance(region, dict):
                continue
            tool = str(region.get("tool", ""))
            value = region.get("value")
            if isinstance(value, dict) and isinstance(value.get("choices"), list):
                for choice in value["choices"]:
                    labels[(tool, str(choice))] += 1
            elif region.get("label") is not None:
                labels[(tool, str(region["label"]))] += 1
    recent = sorted(per_day.items())[-days:]
    annotators = session.execute(
        select(User.id, User.email, func.count(Annotation.id), func.avg(Annotation.lead_time))
        .join(Annotation, Annotation.user_id == User.id)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .group_by(User.id, User.email)
        .order_by(func.count(Annotation.id).desc(), User.id)
    ).all()
    return {
        "labels": [
            {"tool": t, "label": label, "count": n}
            for (t, label), n in sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "throughput": [{"date": d.isoformat(), "annotations": n} for d, n in recent],
        "annotators": [
            {
                "user_id": uid,
                "email": email,
                "annotations": int(n),
                "mean_lead_time": None if lead is None else float(lead),
            }
            for uid, email, n, lead in annotators
        ],
    }
