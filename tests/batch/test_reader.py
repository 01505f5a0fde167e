import pandas as pd
import pytest

from mlcycle.batch.reader import InputReadError, InputSchemaError, open_input


def test_parquet_streams_in_batches_of_the_requested_columns(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"a": range(10), "b": list("abcdefghij"), "extra": 1.0}).to_parquet(path)
    with open_input(str(path), ["b", "a"], batch_size=4) as source:
        batches = list(source.batches)
        assert source.total_rows == 10 and source.schema.names == ["b", "a"]
    assert [b.num_rows for b in batches] == [4, 4, 2]
    assert batches[0].schema.names == ["b", "a"]


def test_csv_columns_arrive_as_text(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("a,b\n1,x\nnot-a-number,y\n")
    with open_input(str(path), ["a", "b"]) as source:
        frame = pd.concat(b.to_pandas() for b in source.batches)
    assert frame["a"].tolist() == ["1", "not-a-number"]


def test_a_missing_column_fails_fast_naming_it(tmp_path):
    path = tmp_path / "in.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with (
        pytest.raises(InputSchemaError, match=r"lacks column\(s\) 'b', 'c' .* it has: a"),
        open_input(str(path), ["a", "b", "c"]),
    ):
        pass


def test_missing_file_and_unknown_format(tmp_path):
    with (
        pytest.raises(InputReadError, match="input file not found"),
        open_input(str(tmp_path / "nope.parquet"), ["a"]),
    ):
        pass
    with (
        pytest.raises(InputReadError, match="cannot tell the format"),
        open_input(str(tmp_path / "data.json"), ["a"]),
    ):
        pass


def test_fsspec_uris_are_read(tmp_path):
    import fsspec

    with fsspec.open("memory://scoring/in.parquet", "wb") as f:
        pd.DataFrame({"a": [1, 2]}).to_parquet(f)
    with open_input("memory://scoring/in.parquet", ["a"]) as source:
        assert sum(b.num_rows for b in source.batches) == 2


def test_a_byte_that_is_not_utf8_is_named_by_offset_and_line(tmp_path):
    from mlcycle.batch.reader import first_invalid_utf8

    good = "".join(f"c{i},{i}\n" for i in range(5000)).encode()
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"cid,age\n" + good + "c5000,d\u00e9j\u00e0\n".encode("latin-1"))
    offset = path.read_bytes().index(b"\xe9")
    assert first_invalid_utf8(str(path), chunk=1000) == (offset, 5002)  # across chunks
    where = rf"not valid UTF-8 at byte {offset:,} \(line 5,002\)"
    with pytest.raises(InputReadError, match=where), open_input(str(path), ["cid", "age"]) as src:
        list(src.batches)
    ok = tmp_path / "utf8.csv"
    ok.write_bytes(b"cid,age\nc1,d\xc3\xa9j\xc3\xa0\n")
    assert first_invalid_utf8(str(ok), chunk=10) == (None, None)  # a split é is not an error
