"""Thumbnails of a project's images: made once, cached in storage, same rules as the media."""

from __future__ import annotations

import io

from PIL import Image

from accord_server.adapters.storage import derived_key
from accord_server.settings import Settings
from support import Factory, Stack, running_stack


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


def _upload(stack: Stack, token: str, project_id: int, files: list[tuple[str, bytes]]) -> None:
    with stack.client(token) as client:
        r = client.post(
            f"/api/v1/projects/{project_id}/imports/files",
            files=[("files", (name, data)) for name, data in files],
        )
        assert r.status_code == 202, r.text
        stack.run_jobs()


def test_thumbnail_is_made_once_cached_and_scoped_to_the_project(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    _upload(stack, owner.token, project["id"], [("big.png", _png(800, 400))])
    with stack.client(owner.token) as client:
        task = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]
        key = task["data"]["image"].rsplit("/media/", 1)[1]
        url = f"/api/v1/projects/{project['id']}/media/{key}/thumbnail"
        thumb_key = derived_key("thumb", key, "jpeg128")
        assert not stack.runtime.storage.exists(thumb_key)

        r = client.get(url, params={"size": 128})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "image/jpeg"
        assert "max-age" in r.headers["cache-control"]
        with Image.open(io.BytesIO(r.content)) as im:
            assert im.format == "JPEG" and im.size == (128, 64)
        # stored under the derived key: the second request reads it rather than making it again
        assert stack.runtime.storage.read(thumb_key) == r.content
        stack.runtime.storage.put_derived(thumb_key, b"cached")
        assert client.get(url, params={"size": 128}).content == b"cached"

        # the media itself is unchanged and still served by the media route
        assert client.get(f"/api/v1/projects/{project['id']}/media/{key}").content == _png(800, 400)

        bad = client.get(url, params={"size": 100})
        assert bad.status_code == 422 and bad.json()["details"]["field"] == "size"

        # another project (even the owner's own) does not know the key: 404, nothing made
        other = factory.project(owner)
        elsewhere = client.get(f"/api/v1/projects/{other['id']}/media/{key}/thumbnail")
        assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "not_found"
        missing = f"sha256/00/{'0' * 64}"
        unknown = client.get(f"/api/v1/projects/{project['id']}/media/{missing}/thumbnail")
        assert unknown.status_code == 404

    # someone of another organization gets a 404 too
    stranger = factory.owner("Elsewhere")
    with stack.client(stranger.token) as client:
        assert client.get(url).status_code == 404
    # an annotator of the project may see its thumbnails, as they may see its media
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        assert client.get(url, params={"size": 64}).status_code == 200


def _encoded(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.radial_gradient("L").resize(size).convert("RGB").save(out, format=fmt)
    return out.getvalue()


def test_images_past_the_decode_budget(settings: Settings) -> None:
    """Issue 13: an image near the pixel limit cost ~670 MiB of a worker (checked at import)
    or an API process (its thumbnail). Past ACCORD_MAX_DECODE_PIXELS a JPEG is checked and
    thumbnailed at a reduced scale, a PNG is checked without being decoded whole and gets no
    thumbnail, another format is refused at import."""
    with running_stack(settings.model_copy(update={"max_decode_pixels": 100_000})) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        files = [("p.png", _encoded("PNG", (400, 300))), ("j.jpg", _encoded("JPEG", (400, 300)))]
        _upload(stack, owner.token, project["id"], files)
        with stack.client(owner.token) as client:
            tasks = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
            assert len(tasks) == 2
            urls = {t["data"]["filename"]: f"{t['data']['image']}/thumbnail?size=64" for t in tasks}
            jpeg = client.get(urls["j.jpg"])
            assert jpeg.status_code == 200
            with Image.open(io.BytesIO(jpeg.content)) as im:
                assert im.size == (64, 48)
            png = client.get(urls["p.png"])
            assert png.status_code == 422
            assert png.json()["message"].endswith(
                "image of 400×300 pixels is larger than 100,000 pixels, the most a thumbnail "
                "is made from (ACCORD_MAX_DECODE_PIXELS)"
            )
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[("files", ("g.gif", _encoded("GIF", (400, 300))))],
            )
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "failed"
        assert job["errors"][0]["message"] == (
            "g.gif: image of 400×300 pixels is larger than 100,000 pixels, the most a GIF image "
            "is decoded at (ACCORD_MAX_DECODE_PIXELS); save it as PNG or JPEG"
        )
