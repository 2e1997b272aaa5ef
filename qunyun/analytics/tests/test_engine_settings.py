"""The analytics engine's settings come from the environment, a bad value named."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from qunyun.settings import env_spark_conf


def test_spark_conf_is_read_as_key_value_pairs(monkeypatch) -> None:
    monkeypatch.setenv("QUNYUN_SPARK_CONF", " spark.executor.memory = 8g;;spark.a=b=c;")

    assert env_spark_conf("QUNYUN_SPARK_CONF") == {
        "spark.executor.memory": "8g",
        "spark.a": "b=c",
    }


def test_a_spark_conf_item_without_a_value_is_refused_by_name(monkeypatch) -> None:
    monkeypatch.setenv("QUNYUN_SPARK_CONF", "spark.executor.memory")

    with pytest.raises(ImproperlyConfigured, match="QUNYUN_SPARK_CONF"):
        env_spark_conf("QUNYUN_SPARK_CONF")
