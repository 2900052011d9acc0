"""The module documents itself: docstrings for help(), and type stubs that match it."""

import ast
import pathlib

import ipckit


def test_every_public_name_has_a_docstring():
    for name in ipckit.__all__:
        if name.startswith("__"):
            continue
        obj = getattr(ipckit, name)
        assert obj.__doc__ and obj.__doc__.strip(), name
    for cls in (ipckit.Channel, ipckit.Sender, ipckit.Receiver, ipckit.SharedStateWriter,
                ipckit.SharedStateReader):
        for attr in ("send", "recv", "peek", "create", "open", "publish", "snapshot"):
            if hasattr(cls, attr):
                assert getattr(cls, attr).__doc__, f"{cls.__name__}.{attr}"


def test_stubs_name_exactly_the_public_api():
    stub = pathlib.Path(ipckit.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    stubbed = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    stubbed |= {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom)
                for a in n.names if not a.name.startswith("_")}
    stubbed |= {t.target.id for t in tree.body if isinstance(t, ast.AnnAssign)}
    public = set(ipckit.__all__)
    assert public == stubbed & public | (public - stubbed) and public - stubbed == set(), \
        f"not in the stubs: {public - stubbed}"
    for n in tree.body:
        if isinstance(n, ast.ClassDef):
            cls = getattr(ipckit, n.name)
            for member in n.body:
                if isinstance(member, ast.FunctionDef):
                    assert hasattr(cls, member.name), f"{n.name}.{member.name}"


def test_errors_are_os_errors_with_operation_and_object():
    try:
        ipckit.Channel.open("ipckit-py-surely-missing")
    except FileNotFoundError as e:
        assert e.errno == 2 and e.operation == "shm_open"
        assert "ipckit-py-surely-missing" in e.object and "ipckit-py-surely-missing" in str(e)
    else:
        raise AssertionError("no error")
