"""A stored run reads back exactly as Arrow's one-call conversion read it, though it now comes out
of SQLite in pieces and its list columns become tuples a bounded slice at a time (issue 17: the
long single C calls stalled the window while a run loaded on a worker)."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import insert, select
from support.campaigns import TTD_DISPLAY_AWARENESS

from caliber_desktop.models.scoring import RunFrame
from caliber_desktop.services.runs import site_rows
from caliber_desktop.services.workspace import Workspace


def read_in_one_call(data: bytes) -> pd.DataFrame:
    """How a run was read before: the whole file fetched, converted by ``to_pandas``."""
    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    for column in ("flags", "flag_evidence"):
        if column in frame:
            frame[column] = pd.Series(
                [tuple(v) if v is not None else () for v in frame[column]],
                dtype=object,
                index=frame.index,
            )
    return frame.set_index("site_id")


def stored_bytes(ws: Workspace, run_id: int) -> bytes:
    with ws.runs.store.read() as session:
        data = session.execute(select(RunFrame.data).where(RunFrame.run_id == run_id)).scalar()
    assert isinstance(data, bytes)
    return data


def test_a_stored_run_reads_back_the_same_in_pieces_and_slices(
    workspace: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    campaign = workspace.campaigns.create("Display", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    run = workspace.runs.score_campaign(campaign.id)
    data = stored_bytes(workspace, run.id)
    # many pieces and slices, with a last one shorter than the others
    monkeypatch.setattr(site_rows, "_BLOB_PIECE", 4093)
    monkeypatch.setattr(site_rows, "_TUPLE_SLICE", 97)
    assert len(data) > 10 * 4093

    frame = workspace.runs.site_frame(run.id)

    expected = read_in_one_call(data)
    assert len(frame) > 10 * 97
    assert frame["flags"].map(len).sum() > 0  # the sample has flagged sites
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert list(frame.columns) == list(expected.columns)
    for column in ("flags", "flag_evidence"):
        assert all(type(v) is tuple for v in frame[column])
        assert all(type(s) is str for v in frame[column] for s in v)


def store_table(ws: Workspace, run_id: int, table: pa.Table, row_group_size: int) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=row_group_size)
    with ws.runs.store.write() as session:
        session.execute(
            insert(RunFrame).values(run_id=run_id, format="parquet", data=buffer.getvalue())
        )


def test_missing_and_empty_lists_read_as_empty_tuples_across_chunks(
    workspace: Workspace, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As another writer (or an older Caliber) may have stored them: null lists, a column of
    only empty lists (Arrow types it ``list<null>``), lists split over row groups."""
    campaign = workspace.campaigns.create("Display", settings=TTD_DISPLAY_AWARENESS)
    workspace.uploads.attach(campaign.id, shared_data / "ttd_display_awareness_sample.csv")
    run = workspace.runs.score_campaign(campaign.id)
    with workspace.runs.store.write() as session:
        session.execute(RunFrame.__table__.delete().where(RunFrame.run_id == run.id))
    flags = [["a", "b"], None, [], ["c"], None, ["d", "e", "f"], [], ["g"]] * 5
    part = pa.table(
        {
            "site_id": [f"s{i}" for i in range(len(flags))],
            "flags": pa.array(flags, type=pa.list_(pa.string())),
            "flag_evidence": pa.array([[] for _ in flags]),
            "score": [float(i) for i in range(len(flags))],
        }
    )
    assert part.schema.field("flag_evidence").type == pa.list_(pa.null())
    store_table(workspace, run.id, part, row_group_size=13)  # read back as 4 chunks
    monkeypatch.setattr(site_rows, "_TUPLE_SLICE", 3)

    frame = workspace.runs.site_frame(run.id)

    assert list(frame.columns) == ["flags", "flag_evidence", "score"]
    assert list(frame["flags"]) == [tuple(f) if f is not None else () for f in flags]
    assert list(frame["flag_evidence"]) == [()] * len(flags)
