"""Attaching report files: refusals leave nothing behind, bytes are stored once, blobs are tidy."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from caliber_desktop.errors import ConflictError, FileRejectedError, NotFoundError
from caliber_desktop.models import FileUpload
from caliber_desktop.models.enums import FileFormat
from caliber_desktop.services.importing.uploads import (
    UploadService,
    orphan_blobs,
    prune_orphan_blobs,
)
from caliber_desktop.services.workspace import Workspace


def upload_row_count(ws: Workspace) -> int:
    with ws.store.read() as session:
        return int(session.scalar(select(func.count()).select_from(FileUpload)) or 0)


def stored_files(ws: Workspace) -> list[Path]:
    """Every file under uploads/, temp files included."""
    return sorted(p for p in ws.paths.uploads.rglob("*") if p.is_file())


def truncated_xlsx(tmp_path: Path) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Site", "Impressions", "Spend"])
    for index in range(500):
        sheet.append([f"site-{index}.com", index * 10, index / 7])
    full = tmp_path / "full.xlsx"
    book.save(full)
    data = full.read_bytes()
    return data[: len(data) // 2]


@pytest.fixture
def campaign_id(workspace: Workspace, settings) -> int:
    return workspace.campaigns.create("Uploads", settings=settings).id


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("binary.csv", bytes([0, 255, 1, 254, 0, 0, 7]) * 300, "binary data"),
        ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(300), "a PNG image"),
        ("empty.csv", b"", "is empty"),
        ("cut.xlsx", None, "damaged or truncated"),
    ],
    ids=["nul-bytes", "png", "empty", "truncated-xlsx"],
)
def test_a_rejected_file_is_named_explained_and_leaves_nothing(
    workspace: Workspace, campaign_id: int, report_file, tmp_path: Path, name, content, problem
) -> None:
    source = report_file(truncated_xlsx(tmp_path) if content is None else content, name=name)
    workspace.uploads.attach(campaign_id, report_file())  # something legitimately stored first
    files_before = stored_files(workspace)

    with pytest.raises(FileRejectedError) as caught:
        workspace.uploads.attach(campaign_id, source)

    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert problem in message
    assert caught.value.hint
    assert upload_row_count(workspace) == 1
    assert workspace.campaigns.get(campaign_id).upload_count == 1
    assert stored_files(workspace) == files_before  # no blob, no ".incoming-" temp file
    assert source.exists()  # the user's file is never touched


def test_a_file_over_the_size_limit_is_rejected(
    workspace: Workspace, campaign_id: int, report_file
):
    header = "Site,Impressions,Spend\n"
    line = "some-long-site-name.example.com,1000,1.25\n"
    big = report_file(header + line * (2**20 // len(line) + 10), name="big.csv")
    assert big.stat().st_size > 2**20
    small = UploadService(workspace.store, workspace.user, workspace.paths.root, max_size_mb=1)

    with pytest.raises(FileRejectedError) as caught:
        small.attach(campaign_id, big)

    assert str(caught.value).startswith("big.csv: ")
    assert "the limit is 1 MB" in str(caught.value)
    assert upload_row_count(workspace) == 0
    assert stored_files(workspace) == []
    # The same file is fine under the default limit.
    assert workspace.uploads.attach(campaign_id, big).size_bytes == big.stat().st_size


def test_a_missing_source_or_a_folder_is_rejected(
    workspace: Workspace, campaign_id: int, tmp_path: Path
) -> None:
    with pytest.raises(FileRejectedError, match="does not exist"):
        workspace.uploads.attach(campaign_id, tmp_path / "nope.csv")
    with pytest.raises(FileRejectedError, match="is a folder"):
        workspace.uploads.attach(campaign_id, tmp_path)
    assert stored_files(workspace) == []


def test_nothing_is_attached_to_a_campaign_being_scored(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    workspace.campaigns.set_status(campaign_id, "processing")
    with pytest.raises(ConflictError, match="being scored"):
        workspace.uploads.attach(campaign_id, report_file())
    assert stored_files(workspace) == []
    assert upload_row_count(workspace) == 0


def test_a_missing_campaign_is_not_found(workspace: Workspace, report_file) -> None:
    with pytest.raises(NotFoundError, match="Campaign 77 was not found"):
        workspace.uploads.attach(77, report_file())
    assert stored_files(workspace) == []


# ----------------------------------------------------------------------------- storing


def test_attach_stores_a_content_addressed_copy(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    source = report_file()
    record = workspace.uploads.attach(campaign_id, source)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()

    assert record.sha256 == digest
    assert record.path == workspace.paths.uploads / digest[:2] / f"{digest}.csv"
    assert record.path.read_bytes() == source.read_bytes()
    assert (record.detected_format, record.delimiter) == (FileFormat.CSV, ",")
    assert record.original_name == source.name
    assert record.size_bytes == source.stat().st_size
    assert (record.reused_blob, record.already_attached) == (False, False)
    assert stored_files(workspace) == [record.path]
    assert workspace.uploads.get(record.id) == record

    # The copy, not the original, is what is used later.
    source.write_text("changed after import", encoding="utf-8")
    assert workspace.uploads.preview(record.id, 2).rows[0][1] == "Site"


def test_the_same_file_twice_to_one_campaign_is_one_upload(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    source = report_file()
    first = workspace.uploads.attach(campaign_id, source)
    again = workspace.uploads.attach(campaign_id, report_file(source.read_bytes(), name="copy.csv"))

    assert again.already_attached is True
    assert again.id == first.id
    assert again.original_name == first.original_name
    assert upload_row_count(workspace) == 1
    assert [u.id for u in workspace.uploads.list(campaign_id)] == [first.id]
    assert stored_files(workspace) == [first.path]


def test_the_same_bytes_to_two_campaigns_is_two_rows_and_one_blob(
    workspace: Workspace, settings, report_file
) -> None:
    one = workspace.campaigns.create("One", settings=settings)
    two = workspace.campaigns.create("Two", settings=settings)
    source = report_file()

    first = workspace.uploads.attach(one.id, source)
    second = workspace.uploads.attach(two.id, source)

    assert first.id != second.id
    assert (second.reused_blob, second.already_attached) == (True, False)
    assert first.path == second.path
    assert upload_row_count(workspace) == 2
    assert stored_files(workspace) == [first.path]


def test_the_same_bytes_stored_by_another_process_a_moment_ago_is_reused(
    workspace: Workspace, campaign_id: int, report_file, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Caliber processes import one file at once; the other one's blob is open (Windows)."""
    source = report_file()

    def other_process_won(src: os.PathLike[str], dst: os.PathLike[str]) -> None:
        Path(dst).write_bytes(source.read_bytes())  # the other process's copy, now open
        raise PermissionError(13, "being used by another process", str(dst))

    monkeypatch.setattr(os, "replace", other_process_won)
    upload = workspace.uploads.attach(campaign_id, source)
    assert upload.path.read_bytes() == source.read_bytes()
    assert stored_files(workspace) == [upload.path]  # no temp file left


def test_remove_deletes_the_blob_only_when_nothing_else_uses_it(
    workspace: Workspace, settings, report_file
) -> None:
    one = workspace.campaigns.create("One", settings=settings)
    two = workspace.campaigns.create("Two", settings=settings)
    source = report_file()
    first = workspace.uploads.attach(one.id, source)
    second = workspace.uploads.attach(two.id, source)

    workspace.uploads.remove(first.id)
    assert second.path.exists()
    assert workspace.uploads.list(one.id) == []
    with pytest.raises(NotFoundError):
        workspace.uploads.get(first.id)

    workspace.uploads.remove(second.id)
    assert not second.path.exists()
    assert stored_files(workspace) == []
    assert upload_row_count(workspace) == 0


def test_remove_is_refused_while_the_campaign_is_scored(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    record = workspace.uploads.attach(campaign_id, report_file())
    workspace.campaigns.set_status(campaign_id, "processing")
    with pytest.raises(ConflictError, match="being scored"):
        workspace.uploads.remove(record.id)
    assert record.path.exists()
    assert workspace.uploads.get(record.id) == record


def test_list_is_newest_first(workspace: Workspace, campaign_id: int, report_file) -> None:
    base = report_file().read_text(encoding="utf-8")
    ids = [
        workspace.uploads.attach(campaign_id, report_file(base + f"x{n}.com,1,0,1,0,1\n")).id
        for n in range(3)
    ]
    assert [u.id for u in workspace.uploads.list(campaign_id)] == ids[::-1]


def test_xlsx_xls_and_tsv_are_stored_with_what_was_detected(
    workspace: Workspace, campaign_id: int, report_file, tmp_path: Path, xls_bytes
) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Delivery"
    book.active.append(["Site", "Impressions"])
    book.active.append(["example.com", 5])
    book.save(tmp_path / "wb.xlsx")
    xlsx = workspace.uploads.attach(
        campaign_id, report_file((tmp_path / "wb.xlsx").read_bytes(), name="named.csv")
    )
    assert (xlsx.detected_format, xlsx.sheet_name) == (FileFormat.XLSX, "Delivery")
    assert xlsx.path.suffix == ".xlsx"
    assert workspace.uploads.preview(xlsx.id).rows == [
        ["Site", "Impressions"],
        ["example.com", "5"],
    ]

    tsv = workspace.uploads.attach(campaign_id, report_file("Site\tImps\na.com\t1\n", name="t.csv"))
    assert (tsv.detected_format, tsv.delimiter, tsv.path.suffix) == (FileFormat.TSV, "\t", ".tsv")

    old = report_file(xls_bytes({"Sheet 1": [["Site", "Imps"], ["b.com", "2"]]}), name="old.csv")
    xls = workspace.uploads.attach(campaign_id, old)
    assert (xls.detected_format, xls.sheet_name, xls.path.suffix) == (
        FileFormat.XLS,
        "Sheet 1",
        ".xls",
    )
    assert workspace.uploads.preview(xls.id).rows == [["Site", "Imps"], ["b.com", "2"]]


def test_preview_of_a_blob_gone_missing_says_so(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    record = workspace.uploads.attach(campaign_id, report_file(name="november.csv"))
    record.path.unlink()
    with pytest.raises(FileRejectedError) as caught:
        workspace.uploads.preview(record.id)
    assert str(caught.value).startswith("november.csv: is missing")
    assert "Attach the report again" in str(caught.value)


# ----------------------------------------------------------------------------- orphans


def test_orphan_blobs_finds_stray_files_and_prune_removes_only_them(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    kept = workspace.uploads.attach(campaign_id, report_file())
    stray = workspace.paths.uploads / "ab" / ("ab" + "0" * 62 + ".csv")
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"left by a crash")
    fresh_temp = workspace.paths.uploads / ".incoming-now"
    fresh_temp.write_bytes(b"an import in progress")
    old_temp = workspace.paths.uploads / ".incoming-old"
    old_temp.write_bytes(b"an import that died")
    two_days_ago = old_temp.stat().st_mtime - 2 * 24 * 3600
    os.utime(old_temp, (two_days_ago, two_days_ago))

    root = workspace.paths.root
    assert sorted(orphan_blobs(workspace.store, root)) == sorted([stray, old_temp])
    assert prune_orphan_blobs(workspace.store, root) == 2
    assert stored_files(workspace) == sorted([kept.path, fresh_temp])
    assert orphan_blobs(workspace.store, root) == []


def test_blobs_of_a_deleted_campaign_become_orphans(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    record = workspace.uploads.attach(campaign_id, report_file())
    assert orphan_blobs(workspace.store, workspace.paths.root) == []
    workspace.campaigns.delete(campaign_id)
    assert orphan_blobs(workspace.store, workspace.paths.root) == [record.path]


def test_deleting_a_campaign_removes_only_the_files_no_one_else_uses(
    workspace: Workspace, settings, report_file
) -> None:
    doomed = workspace.campaigns.create("Doomed", settings=settings).id
    keeper = workspace.campaigns.create("Keeper", settings=settings).id
    own = workspace.uploads.attach(doomed, report_file("Site,Impressions\na.com,1\nb.com,2\n"))
    shared = workspace.uploads.attach(doomed, report_file())
    workspace.uploads.attach(keeper, report_file())  # same bytes as `shared`

    workspace.delete_campaign(doomed)

    assert not own.path.exists()
    assert shared.path.exists()
    assert stored_files(workspace) == [shared.path]
    assert orphan_blobs(workspace.store, workspace.paths.root) == []


def test_reused_blob_speaks_only_of_the_users_own_files(
    workspace: Workspace, settings, report_file, add_user
) -> None:
    mine = workspace.campaigns.create("Mine", settings=settings).id
    workspace.uploads.attach(mine, report_file())
    other = add_user(workspace, "uid-b", "b@example.com")
    workspace.bind(other)
    theirs = workspace.campaigns.create("Theirs", settings=settings).id
    first = workspace.uploads.attach(theirs, report_file())
    assert first.reused_blob is False  # B never had these bytes, whoever else did
    second = workspace.uploads.attach(
        workspace.campaigns.create("Theirs too", settings=settings).id, report_file()
    )
    assert second.reused_blob is True
    assert first.path == second.path  # still one blob on disk


def test_an_unreadable_part_found_at_preview_is_reported_not_raised(
    workspace: Workspace, campaign_id: int, report_file
) -> None:
    # A quote that never closes swallows the rest of the file into one cell, past the csv
    # module's field limit: sniffing sees consistent rows, previewing the whole cell fails.
    head = "Site,Impressions\n" + "".join(f"s{i}.com,{i}\n" for i in range(30))
    runaway = head + 'x.com,"' + "y" * 200_000 + "\n"
    record = workspace.uploads.attach(campaign_id, report_file(runaway, name="runaway.csv"))
    with pytest.raises(FileRejectedError, match=r"runaway\.csv: cannot be previewed"):
        workspace.uploads.preview(record.id, rows=100)
    assert len(workspace.uploads.preview(record.id, rows=10).rows) == 10
