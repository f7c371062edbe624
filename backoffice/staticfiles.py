"""Static files storage: WhiteNoise's hashed, compressed names once collectstatic has run."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Links a collected file by its hashed name, which browsers cache for good, and serves its gzip copy.

    A file that collectstatic has not written (tests, a fresh clone before `make run` or `make serve`) keeps
    its plain name, which WhiteNoise serves straight from the finders, instead of failing the page.
    """

    manifest_strict = True

    def url(self, name: str | None, force: bool = False) -> str:
        # Hashed names under DEBUG too (`make run`), as in production, whenever collectstatic wrote them.
        return super().url(name, force=True)

    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:
            return name
