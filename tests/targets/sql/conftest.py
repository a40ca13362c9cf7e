"""One local Spark session for every test that needs one: starting the JVM costs seconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from compiler.batch import spark_session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_session()
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()
